// The map of what the network learned (fmnist_core/figures/map.py makes its data): the same test
// images as points on two maps side by side, a marker shape and a colour per class, a wrong answer
// hollow. Hovering near a point shows its image and the model's answer, and rings the same image on
// both maps; a click chooses it (the trigger value `chosen`, its test-image number), and the chosen
// image is ringed until another is.

const VIEW = { width: 480, height: 400, left: 30, right: 8, top: 8, bottom: 30 }; // the SVG's own units
const RADIUS = 3.6; // a marker's, in those units
const NEAR = 14; // a point farther than this from the pointer is not hovered
const SIDE = 28; // an image's pixels a side
const UNPACKED = new Map(); // packed images -> their shades, unpacked once per page

// Each marker's outline around (0, 0), as a list of corners on a circle of radius 1.
const corners = (count, turn = 0, inner = 1) =>
  Array.from({ length: count * (inner === 1 ? 1 : 2) }, (_, k) => {
    const step = inner === 1 ? count : 2 * count;
    const angle = turn + (2 * Math.PI * k) / step - Math.PI / 2;
    const reach = inner !== 1 && k % 2 ? inner : 1;
    return [reach * Math.cos(angle), reach * Math.sin(angle)];
  });
const plus = (turn) => {
  const arm = 0.38;
  const outline = [[arm, -1], [arm, -arm], [1, -arm], [1, arm], [arm, arm], [arm, 1],
    [-arm, 1], [-arm, arm], [-1, arm], [-1, -arm], [-arm, -arm], [-arm, -1]];
  const [cos, sin] = [Math.cos(turn), Math.sin(turn)];
  return outline.map(([x, y]) => [x * cos - y * sin, x * sin + y * cos]);
};
const OUTLINES = {
  circle: corners(12),
  square: corners(4, Math.PI / 4),
  diamond: corners(4).map(([x, y]) => [x * 0.85, y * 1.15]),
  "triangle-up": corners(3).map(([x, y]) => [x * 1.15, y * 1.15 + 0.2]),
  "triangle-down": corners(3, Math.PI).map(([x, y]) => [x * 1.15, y * 1.15 - 0.2]),
  star: corners(5, 0, 0.45).map(([x, y]) => [x * 1.25, y * 1.25]),
  hexagon: corners(6),
  pentagon: corners(5),
  cross: plus(0),
  x: plus(Math.PI / 4),
};
// A marker's outline as path data: moved to its point by the `M x,y` before it, then drawn by
// relative steps, so that all of a class's points make one path: 40 SVG elements for the two maps
// rather than 4,000, which the browser took longer to build and lay out.
const shapePath = (shape, radius) => {
  const steps = OUTLINES[shape].map(([x, y]) => [x * radius, y * radius]);
  const [first] = steps;
  let path = `m${first[0].toFixed(2)},${first[1].toFixed(2)}`;
  steps.slice(1).concat([first]).forEach(([x, y], k) => {
    const [px, py] = steps[k];
    path += `l${(x - px).toFixed(2)},${(y - py).toFixed(2)}`;
  });
  return path + "z";
};

const escaped = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Where each map's points go in the SVG: the data's 0..1000 grid fitted into the plot area, the
// same scale on both axes, y upwards.
function layout(map) {
  const width = VIEW.width - VIEW.left - VIEW.right, height = VIEW.height - VIEW.top - VIEW.bottom;
  const spanX = Math.max(...map.x) || 1, spanY = Math.max(...map.y) || 1;
  const scale = Math.min((width - 2 * NEAR) / spanX, (height - 2 * NEAR) / spanY);
  const left = VIEW.left + (width - spanX * scale) / 2, bottom = VIEW.top + (height + spanY * scale) / 2;
  return { x: map.x.map((x) => left + x * scale), y: map.y.map((y) => bottom - y * scale) };
}

function mapSvg(data, shapes, map, places, which) {
  const { x, y } = places;
  const points = [];
  for (const wrong of [false, true]) { // wrong answers on top
    data.classes.forEach((_, label) => {
      const members = data.labels.flatMap(
        (truth, i) => (truth === label && (map.predicted[i] !== truth) === wrong ? [i] : []));
      if (!members.length) return;
      const path = members.map((i) => `M${x[i].toFixed(1)},${y[i].toFixed(1)}${shapes[label]}`).join("");
      const numbers = members.map((i) => data.numbers[i]).join(" "); // in the order of the path's points
      const kind = `points k${label}${wrong ? " wrong" : ""}`;
      points.push(`<path class="${kind}" data-numbers="${numbers}" d="${path}"/>`);
    });
  }
  const plot = { x: VIEW.left, y: VIEW.top, width: VIEW.width - VIEW.left - VIEW.right,
    height: VIEW.height - VIEW.top - VIEW.bottom };
  return `<figure class="panel"><p class="title">${escaped(map.title)}</p>
    <svg viewBox="0 0 ${VIEW.width} ${VIEW.height}" role="img" data-map="${which}"
         aria-label="${escaped(`${data.name}: ${map.title}`)}">
      <rect class="frame" x="${plot.x}" y="${plot.y}" width="${plot.width}" height="${plot.height}"/>
      <text class="axis" x="${plot.x + plot.width / 2}" y="${VIEW.height - 8}">${escaped(map.x_title)}</text>
      <text class="axis" transform="translate(16 ${plot.y + plot.height / 2}) rotate(-90)">${escaped(map.y_title)}</text>
      <g class="points">${points.join("")}</g>
      <circle class="ring chosen" r="9" visibility="hidden"/><circle class="ring hovered" r="8" visibility="hidden"/>
    </svg></figure>`;
}

function legendHtml(data) {
  const swatch = (shape, extra = "") =>
    `<svg viewBox="-7 -7 14 14" aria-hidden="true"><path class="${extra}" d="M0,0${shapePath(shape, 5)}"/></svg>`;
  const items = data.classes.map((c, k) => `<li>${swatch(c.shape, `k${k}`)}${escaped(c.name)}</li>`);
  items.push(`<li>${swatch("circle", "hollow")}hollow: predicted wrong</li>`);
  return `<ul class="legend" aria-label="Legend">${items.join("")}</ul>`;
}

async function unpack(packed) {
  if (!UNPACKED.has(packed)) {
    const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    UNPACKED.set(packed, new Uint8Array(await new Response(stream).arrayBuffer()));
  }
  return UNPACKED.get(packed);
}

function drawImage(canvas, shades, i, levels) {
  const context = canvas.getContext("2d"), picture = context.createImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    const grey = 255 - Math.round((shades[i * SIDE * SIDE + p] * 255) / (levels - 1)); // dark clothes on white
    picture.data.set([grey, grey, grey, 255], 4 * p);
  }
  context.putImageData(picture, 0, 0);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return; // mounted empty at the top of the page (`load_point_map`), to load this code early
  const shapes = data.classes.map((c) => shapePath(c.shape, RADIUS));
  const places = data.maps.map(layout);
  const colours = data.classes.map((c, k) => `.point-map .k${k}{fill:${c.colour};stroke:${c.colour}}`)
    .join("");
  let mount = parentElement.querySelector(":scope > .point-map-mount"); // beside the component's own CSS
  if (!mount) {
    mount = document.createElement("div");
    mount.className = "point-map-mount";
    parentElement.appendChild(mount);
  }
  mount.innerHTML = `<style>${colours}</style><div class="point-map"><div class="maps">
      ${data.maps.map((map, m) => mapSvg(data, shapes, map, places[m], m)).join("")}</div>${legendHtml(data)}
    <div class="label" hidden aria-hidden="true"><canvas width="${SIDE}" height="${SIDE}"></canvas><p></p></div></div>`;
  const root = mount.querySelector(".point-map"), label = root.querySelector(".label");
  const svgs = [...root.querySelectorAll("svg[data-map]")];
  let shades = null;
  if (data.images) unpack(data.images).then((unpacked) => { shades = unpacked; });

  const ring = (kind, i) => svgs.forEach((svg, m) => {
    const circle = svg.querySelector(`.ring.${kind}`);
    circle.setAttribute("visibility", i === null ? "hidden" : "visible");
    if (i !== null) circle.setAttribute("transform", `translate(${places[m].x[i]} ${places[m].y[i]})`);
  });
  const nearest = (event, m) => {
    const box = svgs[m].getBoundingClientRect(), scale = VIEW.width / box.width;
    const px = (event.clientX - box.left) * scale, py = (event.clientY - box.top) * scale;
    let best = null, gap = NEAR;
    places[m].x.forEach((x, i) => {
      const d = Math.hypot(x - px, places[m].y[i] - py);
      if (d < gap) { best = i; gap = d; }
    });
    return best;
  };
  const show = (event, m, i) => {
    const map = data.maps[m], truth = data.labels[i], answer = map.predicted[i];
    const said = answer === truth ? "predicted: the same ✓ right"
      : `predicted: ${data.classes[answer].name} ✗ wrong`;
    const lines = [`test image ${data.numbers[i]}`, `true: ${data.classes[truth].name}`, said];
    label.querySelector("p").innerHTML = lines.map(escaped).join("<br>");
    label.style.borderColor = data.classes[truth].colour;
    const canvas = label.querySelector("canvas");
    canvas.hidden = !shades;
    if (shades) drawImage(canvas, shades, i, data.levels);
    label.hidden = false;
    const outer = root.getBoundingClientRect(), own = label.getBoundingClientRect();
    const x = event.clientX - outer.left + 16, y = event.clientY - outer.top + 16;
    label.style.left = `${x + own.width > outer.width ? x - own.width - 32 : x}px`;
    label.style.top = `${y}px`;
  };
  svgs.forEach((svg, m) => {
    svg.addEventListener("pointermove", (event) => {
      const i = nearest(event, m);
      svg.classList.toggle("pointing", i !== null);
      ring("hovered", i);
      if (i === null) label.hidden = true;
      else show(event, m, i);
    });
    svg.addEventListener("pointerleave", () => { ring("hovered", null); label.hidden = true; });
    svg.addEventListener("click", (event) => {
      const i = nearest(event, m);
      if (i !== null) setTriggerValue("chosen", data.numbers[i]);
    });
  });
  const chosen = data.numbers.indexOf(data.chosen);
  ring("chosen", chosen < 0 ? null : chosen);
  // For tests and benchmarks: the points drawn on each map.
  svgs.forEach((svg) => {
    const paths = [...svg.querySelectorAll("path.points")];
    svg.dataset.drawn = paths.reduce((sum, path) => sum + path.dataset.numbers.split(" ").length, 0);
  });
}

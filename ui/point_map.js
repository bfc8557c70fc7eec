// The map of what the network learned (fmnist_core/figures/map.py makes its data): the same test
// images as points on two maps side by side, a marker shape and a colour per class, a wrong answer
// hollow. Hovering near a point shows its image and the model's answer, and rings the same image on
// both maps; a click chooses it (the trigger value `chosen`, its test-image number), and the chosen
// image is ringed until another is. By keyboard, a focused map's arrow keys move from point to point
// (each said to screen readers) and Enter chooses.

const VIEW = { width: 480, height: 400, left: 30, right: 8, top: 8, bottom: 30 }; // the SVG's own units
const RADIUS = 3.6; // a marker's, in those units
const NEAR = 14; // a point farther than this from the pointer is not hovered
const SIDE = 28; // an image's pixels a side
const UNPACKED = new Map(); // packed images -> their shades, unpacked once per page
const KEYS = "Arrow keys move from image to image; Enter follows the image below.";

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
    <svg viewBox="0 0 ${VIEW.width} ${VIEW.height}" role="application" tabindex="0" data-map="${which}"
         aria-roledescription="map" aria-label="${escaped(`${data.name}: ${map.title}. ${KEYS}`)}">
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

// Whether two mounts' data draw the same maps (a rerun that changed only the chosen image).
const sameMaps = (one, other) => one.name === other.name && one.images === other.images &&
  one.maps.every((map, m) => ["x", "y", "predicted"].every((key) => {
    const [mine, theirs] = [map[key], other.maps[m][key]];
    return mine.length === theirs.length && mine.every((value, k) => value === theirs[k]);
  }));

// The point nearest to point `i` in the direction of an arrow key, or `i` when there is none: the
// distance along the arrow counts once, the distance across it twice.
function stepFrom(places, i, key) {
  const [ax, ay] = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
  let best = i, score = Infinity;
  places.x.forEach((x, k) => {
    const dx = x - places.x[i], dy = places.y[k] - places.y[i];
    const along = dx * ax + dy * ay, across = Math.abs(dx * ay - dy * ax);
    if (along > 0 && along + 2 * across < score) { best = k; score = along + 2 * across; }
  });
  return best;
}

// Draws the maps into `mount`; returns how to ring the chosen image.
function draw(mount, data, setTriggerValue) {
  const shapes = data.classes.map((c) => shapePath(c.shape, RADIUS));
  const places = data.maps.map(layout);
  const colours = data.classes.map((c, k) => `.point-map .k${k}{fill:${c.colour};stroke:${c.colour}}`)
    .join("");
  mount.innerHTML = `<style>${colours}</style><div class="point-map"><div class="maps">
      ${data.maps.map((map, m) => mapSvg(data, shapes, map, places[m], m)).join("")}</div>${legendHtml(data)}
    <div class="label" hidden aria-hidden="true"><canvas width="${SIDE}" height="${SIDE}"></canvas><p></p></div>
    <p class="said" aria-live="polite"></p></div>`;
  const root = mount.querySelector(".point-map"), label = root.querySelector(".label");
  const said = root.querySelector(".said");
  const svgs = [...root.querySelectorAll("svg[data-map]")];
  let shades = null, cursor = null, chosen = null; // the keyboard's point; the chosen image's
  if (data.images) unpack(data.images).then((unpacked) => { shades = unpacked; });

  const ring = (kind, i) => svgs.forEach((svg, m) => {
    const circle = svg.querySelector(`.ring.${kind}`);
    circle.setAttribute("visibility", i === null ? "hidden" : "visible");
    if (i !== null) circle.setAttribute("transform", `translate(${places[m].x[i]} ${places[m].y[i]})`);
  });
  const scaleOf = (m) => svgs[m].getBoundingClientRect().width / VIEW.width;
  const nearest = (event, m) => {
    const box = svgs[m].getBoundingClientRect(), scale = scaleOf(m);
    const px = (event.clientX - box.left) / scale, py = (event.clientY - box.top) / scale;
    let best = null, gap = NEAR;
    places[m].x.forEach((x, i) => {
      const d = Math.hypot(x - px, places[m].y[i] - py);
      if (d < gap) { best = i; gap = d; }
    });
    return best;
  };
  const words = (m, i) => {
    const truth = data.labels[i], answer = data.maps[m].predicted[i];
    const verdict = answer === truth ? "predicted: the same ✓ right"
      : `predicted: ${data.classes[answer].name} ✗ wrong`;
    return [`test image ${data.numbers[i]}`, `true: ${data.classes[truth].name}`, verdict];
  };
  // The label of point i of map m, its top-left corner near (x, y) on the page.
  const show = (m, i, x, y) => {
    label.querySelector("p").innerHTML = words(m, i).map(escaped).join("<br>");
    label.style.borderColor = data.classes[data.labels[i]].colour;
    const canvas = label.querySelector("canvas");
    canvas.hidden = !shades;
    if (shades) drawImage(canvas, shades, i, data.levels);
    label.hidden = false;
    ring("hovered", i);
    const outer = root.getBoundingClientRect(), own = label.getBoundingClientRect();
    const left = x - outer.left + 16, top = y - outer.top + 16;
    label.style.left = `${left + own.width > outer.width ? left - own.width - 32 : left}px`;
    label.style.top = `${top}px`;
  };
  const hide = () => { label.hidden = true; ring("hovered", null); };
  const choose = (i) => setTriggerValue("chosen", data.numbers[i]);
  svgs.forEach((svg, m) => {
    svg.addEventListener("pointermove", (event) => {
      const i = nearest(event, m);
      svg.classList.toggle("pointing", i !== null);
      if (i === null) hide();
      else show(m, i, event.clientX, event.clientY);
    });
    svg.addEventListener("pointerleave", hide);
    svg.addEventListener("click", (event) => {
      const i = nearest(event, m);
      if (i !== null) choose(i);
    });
    // By keyboard: the arrows move from point to point, Enter (or Space) chooses, Escape lets go.
    svg.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { hide(); cursor = null; return; }
      if (cursor !== null && (event.key === "Enter" || event.key === " ")) {
        choose(cursor);
        event.preventDefault();
        return;
      }
      if (!event.key.startsWith("Arrow")) return;
      event.preventDefault();
      cursor = cursor === null ? chosen ?? 0 : stepFrom(places[m], cursor, event.key);
      const box = svg.getBoundingClientRect(), scale = scaleOf(m);
      show(m, cursor, box.left + places[m].x[cursor] * scale, box.top + places[m].y[cursor] * scale);
      said.textContent = words(m, cursor).join(", ");
    });
    svg.addEventListener("blur", () => { if (cursor !== null) hide(); cursor = null; });
  });
  // For tests and benchmarks: the points drawn on each map.
  svgs.forEach((svg) => {
    const paths = [...svg.querySelectorAll("path.points")];
    svg.dataset.drawn = paths.reduce((sum, path) => sum + path.dataset.numbers.split(" ").length, 0);
  });
  const ringChosen = (number) => {
    const i = data.numbers.indexOf(number);
    chosen = i < 0 ? null : i;
    ring("chosen", chosen);
  };
  return { data, ringChosen };
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return; // mounted empty at the top of the page (`load_point_map`), to load this code early
  let mount = parentElement.querySelector(":scope > .point-map-mount"); // beside the component's own CSS
  if (!mount) {
    mount = document.createElement("div");
    mount.className = "point-map-mount";
    parentElement.appendChild(mount);
  }
  // A rerun that changed only the chosen image moves its ring: the maps, and the keyboard's focus, stay.
  if (!mount.maps || !sameMaps(mount.maps.data, data)) mount.maps = draw(mount, data, setTriggerValue);
  mount.maps.ringChosen(data.chosen);
}

"""One neuron's arithmetic as pictures (`inside.arithmetic`): the pixels it sees, its weights and their
products, side by side (`neuron_pictures`); a convolution filter's 3×3 sum at one place
(`filter_pictures`); and the output layer's scores as sums plus biases (`output_sums`).

Weights and products are drawn on the diverging weight scale, centred at 0 and symmetric, so white
is 0 in every picture: blue pushes the neuron up, red down.
"""

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fmnist_core.data import IMAGE_SHAPE
from fmnist_core.figures.style import (
    CAPTION_SIZE,
    PIXEL_COLORSCALE,
    POSITIVE,
    WEIGHT_COLORSCALE,
    WRONG,
    styled,
)
from fmnist_core.figures.text import attach, percent

TOP_PRODUCTS = 3  # the largest products either way, named in the table


def _number(value: float) -> str:
    return f"{value:.4g}".replace("-", "−")


def neuron_pictures(arithmetic, title: str) -> go.Figure:
    """A dense neuron's 784 inputs, weights and products as three 28×28 pictures; `title` names the
    image ("test image 0: Ankle boot")."""
    neuron = arithmetic.unit + 1
    pictures = [(arithmetic.inputs, "the pixels it sees", PIXEL_COLORSCALE),
                (arithmetic.weights, f"neuron {neuron}'s weights", WEIGHT_COLORSCALE),
                (arithmetic.products, "pixel × weight", WEIGHT_COLORSCALE)]
    fig = _pictures([(np.reshape(values, IMAGE_SHAPE), name, scale) for values, name, scale in pictures],
                    cells=False)
    steps = _steps(arithmetic, f"the {arithmetic.inputs.size} products")
    return attach(fig, f"How neuron {neuron} of {arithmetic.layer} computes its value for {title}",
                  _steps_sentence(arithmetic, steps), [*steps, *_largest_products(arithmetic)])


def filter_pictures(arithmetic, image: np.ndarray, title: str) -> go.Figure:
    """A first-convolution filter at one place: the image with the 3×3 patch outlined, the patch's
    inputs, the filter's 9 weights and their products, each value written in its square."""
    row, column = arithmetic.position
    size = arithmetic.weights.shape[0]
    fig = _pictures([(np.asarray(image, np.float64), title, PIXEL_COLORSCALE),
                     (arithmetic.inputs, "the 3×3 patch", PIXEL_COLORSCALE),
                     (arithmetic.weights, f"filter {arithmetic.unit + 1}'s weights", WEIGHT_COLORSCALE),
                     (arithmetic.products, "patch × weight", WEIGHT_COLORSCALE)], cells=True)
    fig.add_shape(type="rect", x0=column - 0.5, x1=column + size - 0.5, y0=row - 0.5, y1=row + size - 0.5,
                  line=dict(color=WRONG, width=3), row=1, col=1)
    steps = _steps(arithmetic, f"the {arithmetic.inputs.size} products")
    return attach(fig, f"How filter {arithmetic.unit + 1} of {arithmetic.layer} computes its value at row "
                  f"{row}, column {column} of {title}", _steps_sentence(arithmetic, steps),
                  [*steps, *_largest_products(arithmetic)])


def _pictures(pictures, *, cells: bool) -> go.Figure:
    """Pictures side by side, square pixels, row 0 on top, each with its colour bar underneath; the
    weight scale symmetric around 0. `cells` writes each value in its square (except the first)."""
    fig = make_subplots(rows=1, cols=len(pictures), subplot_titles=[name for _, name, _ in pictures],
                        horizontal_spacing=0.04)
    for column, (values, _, scale) in enumerate(pictures, start=1):
        limit = float(np.abs(values).max()) or 1.0  # all zeros: any scale draws them white
        diverging = scale == WEIGHT_COLORSCALE
        subplot = fig.get_subplot(1, column)
        domain = subplot.xaxis.domain
        fig.add_trace(go.Heatmap(
            z=values, zsmooth=False, colorscale=scale, showscale=True,
            zmin=-limit if diverging else 0, zmax=limit if diverging or limit > 1 else 1,
            texttemplate="%{z:.3~g}" if cells and column > 1 else None, textfont_size=CAPTION_SIZE,
            hovertemplate="row %{y}, column %{x}: %{z:.4g}<extra></extra>",
            colorbar=dict(orientation="h", x=sum(domain) / 2, xanchor="center", y=-0.08, yanchor="top",
                          len=domain[1] - domain[0], thickness=12)), row=1, col=column)
        fig.update_yaxes(autorange="reversed", scaleanchor=subplot.yaxis.anchor, row=1, col=column)
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, constrain="domain")
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False, constrain="domain")
    fig.update_annotations(font_size=CAPTION_SIZE)
    return styled(fig, 360, margin=dict(l=10, r=10, t=40, b=60))


def _steps(arithmetic, products: str) -> list[dict]:
    """The arithmetic's steps as table rows: the sum, the bias, their total, what follows."""
    steps = [("sum of " + products, arithmetic.total), ("bias", arithmetic.bias),
             ("sum + bias", arithmetic.pre_activation)]
    if arithmetic.normalised is not None:
        steps.append(("after batch normalisation", arithmetic.normalised))
    steps.append((f"after {arithmetic.activation}: the value", arithmetic.value))
    return [{"step": step, "value": _number(value)} for step, value in steps]


def _steps_sentence(arithmetic, steps: list[dict]) -> str:
    """'Sum of the 784 products 2.31, bias −0.05, sum + bias 2.26, after relu: the value 2.26 (as the
    model's hidden_1 gives).'"""
    said = ", ".join(f"{step['step']} {step['value']}" for step in steps)
    return f"{said[0].upper()}{said[1:]} (as the model's {arithmetic.value_layer} gives)."


def _largest_products(arithmetic) -> list[dict]:
    """The TOP_PRODUCTS largest products either way, each as a row: where, input × weight."""
    products = np.ravel(arithmetic.products)
    order = np.argsort(products)
    chosen = [k for k in [*order[::-1][:TOP_PRODUCTS], *order[:TOP_PRODUCTS]] if products[k] != 0]
    patch = np.ndim(arithmetic.inputs) == 2
    shape, where = (np.shape(arithmetic.inputs), "patch row") if patch else (IMAGE_SHAPE, "row")
    rows = []
    for k in dict.fromkeys(chosen):  # a product among both the largest and the smallest: once
        row, column = np.unravel_index(k, shape)
        rows.append({"step": f"{'largest' if products[k] > 0 else 'most negative'} product: {where} {row}, "
                     f"column {column}, {_number(np.ravel(arithmetic.inputs)[k])} × "
                     f"{_number(np.ravel(arithmetic.weights)[k])}", "value": _number(products[k])})
    return rows


def output_sums(arithmetic, class_names: Sequence[str]) -> go.Figure:
    """Each class's score (logit) as the sum of hidden values × its weights, plus its bias; softmax
    then gives each a probability (on hover, and in the table)."""
    scores = arithmetic.scores
    fig = go.Figure(go.Bar(
        x=list(class_names), y=scores, marker_color=[WRONG if score < 0 else POSITIVE for score in scores],
        customdata=np.column_stack([arithmetic.totals, arithmetic.biases, arithmetic.probabilities]),
        hovertemplate=(f"%{{x}}: {len(arithmetic.hidden)} hidden values × weights = %{{customdata[0]:.4g}}"
                       "<br>+ bias %{customdata[1]:.4g} = score %{y:.4g}<br>softmax: %{customdata[2]:.1%}"
                       "<extra></extra>")))
    fig.update_xaxes(type="category", tickangle=-35)
    fig.update_yaxes(title_text="score (logit)")
    best = int(np.argmax(scores))
    rows = [{"class": name, "hidden × weights": _number(total), "bias": _number(bias),
             "score": _number(score), "probability": percent(probability)}
            for name, total, bias, score, probability in zip(
                class_names, arithmetic.totals, arithmetic.biases, scores, arithmetic.probabilities)]
    attach(fig, "The output layer's scores, sum by sum",
           f"Each class's score is its {len(arithmetic.hidden)} hidden values × weights, summed, plus its "
           f"bias; the highest, {class_names[best]} ({_number(scores[best])}), gets "
           f"{percent(arithmetic.probabilities[best])} after softmax.", rows)
    return styled(fig, 360, margin=dict(l=60, r=20, t=20, b=20))

"""What a complete answer to each of the lesson's six questions usually covers (`CHECKLIST`), each
item ticked as the text covers it."""

from collections.abc import Callable
from dataclasses import dataclass

from fmnist_core.lesson.writeup.rules import (
    _A_LABEL,
    _ACTUAL,
    _CLASS_WORDS,
    _CLOTHING,
    _NEURONS,
    _PREDICTED,
    _accuracies_claimed,
    _neuron_count,
)
from fmnist_core.lesson.writeup.text import _SIXTY, _TEN, _any, _has, _in_a_sentence, _search, _thousands


@dataclass(frozen=True)
class Item:
    """One thing a complete answer usually covers: its label, and whether a text covers it."""

    label: str
    covered: Callable[[str], bool]


_SCORES = (r"\b(?:10|ten)\s+(?:\w+\s+)?(?:neurons|units|nodes|outputs|scores|logits|values|classes|"
           r"categories|numbers|probabilit)")

CHECKLIST: dict[int, tuple[Item, ...]] = {
    1: (
        Item("images of clothing", _has(_CLOTHING)),
        Item("70,000 images", _any(_has(_thousands(70_000)), _has(_SIXTY, _TEN))),
        Item("60,000 to train, 10,000 to test", _has(_SIXTY, _TEN)),
        Item("28×28 pixels", _has(r"\b28\s*(?:x|×|\*|by|-by-)\s*28\b")),
        Item("greyscale", _has(r"gr[ae]y[\s-]?scale|black[\s-]and[\s-]white|single[\s-]channel|one channel")),
        Item("10 classes", _any(
            _has(r"\b(?:10|ten)\s+(?!\s?000)(?:\w+[\s-]+){0,2}?(?:class|categor|types?\b|kinds?\b|labels?"
                 r"\b|garment|cloth|fashion)"),
            lambda text: sum(bool(_search(words, text)) for words in _CLASS_WORDS.values()) >= 8)),
    ),
    2: (
        Item("pixels go from 0 to 255", _has(r"\b255\b")),
        Item("scaled to 0–1 (divided by 255)", _has(
            r"\b0(?:\.0)?\s*(?:-|–|—|to|and|,)\s*1(?:\.0)?\b(?![\d,.]\d)|/\s?255|÷\s?255|divid\w*"
            r"(?:\s+\w+){0,3}\s+by\s+255")),
        Item("why: faster, steadier training", _has(
            r"stab|fast|speed|quick|converg|efficien|(?:same|similar|common|small|comparable)\s+"
            r"(?:scale|range)|large\s+(?:numbers|values|inputs)|overflow|gradient|optimi[sz]")),
    ),
    3: (
        Item("Flatten: 28×28 into 784 values", _has(
            r"flatten", r"784|\b1-?d\b|one[\s-]dimension|single[\s-]dimension|vector|\brow\b|\blist\b")),
        Item("a hidden Dense layer with ReLU", _has(r"dense|hidden|fully[\s-]connected",
                                                     r"relu|rectified")),
        Item("how many neurons the hidden layer has", lambda text: any(
            _neuron_count(found) != 10 for found in _NEURONS.finditer(text))),
        Item("an output layer of 10 scores, one per class", _has(
            r"out?put|\blast\b|\bfinal\b", rf"{_SCORES}|Dense\(\s*10\b|logits")),
    ),
    4: (
        Item("one pass over all the training images", _has(
            r"\b(?:one|1|single|full|complete|entire|whole)\b[^.\n]{0,30}\b(?:pass|cycle|sweep|round|"
            r"run|iteration|time|go)\b|\b(?:all|entire|whole|every)\b[^.\n]{0,15}\btrain\w*[^.\n]{0,10}"
            r"(?:data|images|examples|samples|set)|every (?:training )?image")),
        Item("steps per epoch: 60,000 ÷ 32 = 1,875", _has(
            rf"{_thousands(1875)}|batch\w*[^.\n]{{0,30}}\b32\b|\b32\b[^.\n]{{0,30}}batch|(?:steps?|batch\w*|"
            r"iterations?|updates?)\s+(?:per|each|every|an|in an|in each|in one)\s+epoch")),
        Item("how many epochs were trained", _has(
            r"\b\d+\s*(?:(?:-|–|to)\s*\d+\s*)?epochs?\b|epochs\s*=\s*\d+|epoch\s+\d+\s*/\s*\d+|"
            r"\b(?:five|ten|fifteen|twenty|fifty|hundred)\s+epochs")),
    ),
    5: (
        Item("what the model predicted", _in_a_sentence(_PREDICTED, _A_LABEL)),
        Item("how sure it was (its probability)", _any(
            _in_a_sentence(r"probab|confiden|certain|\bsure\b|likel", r"(?<![\w.,])0?[.,]\d+(?!\d)"),
            _has(r"\d(?:[.,]\d+)?\s?%"))),
        Item("the image's actual label", _in_a_sentence(_ACTUAL, _A_LABEL)),
        Item("whether they match", _has(
            r"match|same|correct|agree|equal|identical|\bright\b|wrong|differ|mistak|misclassif|error|"
            r"\btoo\b|\bas well\b|\bboth\b|\balso\b")),
    ),
    6: (
        Item("a change that can raise accuracy", _has(
            r"epoch|neuron|layer|dropout|augment|convol|\bcnn\b|learning[\s-]rate|batch|optimi|regulari|"
            r"early[\s-]stop|weight decay|\bl2\b|normali|rmsprop|\bsgd\b|\badam\b|schedul|initiali")),
        Item("the accuracy you measured with it", lambda text: bool(_accuracies_claimed(text))),
        Item("compared with the baseline", _any(
            _has(r"baseline|lesson'?s model|original model|before|compared|from\s+\d[^.\n]{0,30}\bto\s+\d"
                 r"|→|->"),
            lambda text: len(_accuracies_claimed(text)) >= 2)),
    ),
}

"""The write-up checker: the six answers found in a README however it is written, and hints on each.

Hints, not grades. For each of the lesson's six questions: what a complete answer usually covers
(`CHECKLIST`, ticked as the text covers it) and a warning for each mix-up real write-ups make,
explained in one sentence (`RULES`). The rules read the text and the student's own runs
(`Evidence`); a write-up checked without runs is compared with the lesson's model and its
exercises (`LESSON_EVIDENCE`), and its accuracies are not checked.

    python -m fmnist_core.writeup check README.md ...   # one JSON line per file
"""

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASS_NAMES
from fmnist_core.lesson import EXERCISES, exercise_config

if TYPE_CHECKING:
    from fmnist_core.run import TrainingRun

QUESTIONS = {
    1: "What is the Fashion-MNIST dataset?",
    2: "Why are the pixel values normalised before training?",
    3: "What layers does the network have, and what does each do?",
    4: "What is an epoch?",
    5: "How do the predicted and the actual label of the first test image compare?",
    6: "How can the model's accuracy be improved?",
}

# What each warning means, in the sentence the page shows after the words it quotes.
RULES = {
    "digits": "Fashion-MNIST is 70,000 pictures of clothing in 10 classes; handwritten digits are "
              "the original MNIST it was made to replace.",
    "label number": "a label number is not yet the answer: say which piece of clothing it stands "
                    "for (class_names[{digit}] in the notebook).",
    "no prediction": "question 5 asks what your model predicted for the first test image and what "
                     "that image's actual label is, not what predictions are in general.",
    "neurons": "no hidden layer of {whose} has {count} neurons (theirs: {widths}); the output layer "
               "has 10, one per class.",
    "hidden layers": "{whose} have {counts} hidden layer{s}, not {count}.",
    "activation": "the hidden layers of {whose} use {names}, not {name}.",
    "layer": "{whose} have no {name} layer.",
    "softmax output": "the lesson's output layer gives 10 scores (logits) with no activation; "
                      "softmax is applied only after training, to read the scores as probabilities.",
    "accuracy": "none of your runs measured this accuracy (your best test accuracy: {best}); quote "
                "what a run of yours measured.",
}


# --- The student's own evidence --------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    """One network a student trained, as the layer rules see it."""

    hidden_layers: tuple[int, ...]
    activation: str = "relu"
    architecture: str = "mlp"
    dropout: bool = False
    batch_norm: bool = False

    @classmethod
    def of(cls, config: ExperimentConfig) -> "Model":
        return cls(config.hidden_layers, config.activation, config.architecture,
                   config.dropout > 0, config.batch_norm)

    @property
    def layer_kinds(self) -> set[str]:
        """Its layers beyond Flatten and Dense, named as in `_LAYER_KINDS`."""
        kinds = {"convolution", "pooling"} if self.architecture == "cnn" else set()
        if self.dropout:
            kinds.add("dropout")
        if self.batch_norm:
            kinds.add("batch normalisation")
        return kinds


@dataclass(frozen=True)
class Evidence:
    """What the rules compare a write-up with: the models trained and the accuracies measured.

    `accuracies` are the runs' test accuracies, None for a write-up checked without runs: then no
    accuracy is checked. `epochs` are the runs' epochs (what question 4's evidence shows);
    `epoch_accuracies` each epoch's training and held-out accuracy (a write-up may quote its
    training log). `whose` names the models in the warnings.
    """

    models: tuple[Model, ...]
    accuracies: tuple[float, ...] | None = None
    epochs: tuple[int, ...] = ()
    epoch_accuracies: tuple[float, ...] = ()
    whose: str = "your runs"

    @property
    def checks_accuracy(self) -> bool:
        return self.accuracies is not None


def _models(configs: Iterable[ExperimentConfig]) -> tuple[Model, ...]:
    return tuple(dict.fromkeys(Model.of(config) for config in configs))


_LESSON_CONFIGS = [exercise_config(name) for name in EXERCISES]
# The lesson's model (one hidden layer of 128, relu) and its exercises (64 or 256 neurons, 50
# epochs, a second hidden layer of 128): what a write-up without runs is compared with.
LESSON_EVIDENCE = Evidence(_models(_LESSON_CONFIGS), None,
                           tuple(sorted({config.epochs for config in _LESSON_CONFIGS})),
                           whose="the lesson's model and its exercises")


def evidence_from_runs(runs: Iterable["TrainingRun"]) -> Evidence:
    """The models of `runs`, their test accuracies, the epochs each really did (a stopped run did
    fewer than its setting) and their training logs' accuracies. No runs: the lesson's evidence."""
    runs = list(runs)
    if not runs:
        return LESSON_EVIDENCE
    logged = {accuracy for run in runs for record in run.history
              for accuracy in (record.accuracy, record.val_accuracy) if math.isfinite(accuracy)}
    return Evidence(_models(run.config for run in runs),
                    tuple(sorted({run.test_accuracy for run in runs})),
                    tuple(sorted({run.epochs_done for run in runs})), tuple(sorted(logged)))


# --- Reading the text ------------------------------------------------------------------------

def _plain(text: str) -> str:
    """The text without Markdown emphasis and code marks, and with ordinary spaces."""
    return re.sub(r"\*\*|__|`", "", text.replace("\u00a0", " ").replace("\u202f", " "))


_BLOCK_LINE = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|\||>|```|~~~)")


def _sentences(text: str) -> list[str]:
    """The text's sentences; a line wrapped in the middle of a sentence is joined to the next."""
    lines, joined = text.splitlines(), []
    for line in lines:
        stripped = line.strip()
        if (joined and stripped and joined[-1] and not _BLOCK_LINE.match(line)
                and not re.search(r"[.!?:;]$", joined[-1]) and re.match(r"[a-z0-9(]", stripped)):
            joined[-1] += " " + stripped
        else:
            joined.append(stripped)
    return [part for line in joined for part in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(*])", line)
            if re.search(r"\w", part)]


def _thousands(number: int) -> str:
    """A pattern for `number` as people write it: 60000, 60,000, 60.000, 60 000, 60k."""
    head, tail = divmod(number, 1000)
    short = r"|\s?k\b|\s?thousand\b" if tail == 0 else ""
    return rf"\b{head}(?:[,.\s']?{tail:03d}\b{short})"


def _search(pattern: str, text: str) -> re.Match | None:
    return re.search(pattern, text, re.IGNORECASE)


def _has(*patterns: str) -> Callable[[str], bool]:
    """Covered when the text matches every pattern, anywhere."""
    return lambda text: all(_search(pattern, text) for pattern in patterns)


def _in_a_sentence(*patterns: str) -> Callable[[str], bool]:
    """Covered when one sentence matches every pattern."""
    return lambda text: any(all(_search(pattern, sentence) for pattern in patterns)
                            for sentence in _sentences(text))


def _any(*tests: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: any(test(text) for test in tests)


# Words that make a sentence a comparison, a negation or a possibility rather than a description
# of the student's own model.
_HEDGED = (r"\b(?:could|might|would|should|may|instead|rather|unlike|than|not|no|without|if|"
           r"e\.g|for example|such as|vs|versus|compared|alternative|try|trying)\b|n't")


# --- Question 1: the data ---

_CLOTHING = (r"cloth|garment|apparel|footwear|\bshoes?\b|zalando|fashion (?:product|item|article|"
             r"image|picture)|t-?shirt|trouser|pullover|sneaker|sandal|ankle boot|\bdress|\bcoat")
_DIGIT_DATA = (r"hand[\s-]?(?:written|drawn)|(?:images?|pictures?|photos?|scans?)\s+of\s+"
               r"(?:\w+\s+){0,2}?(?:digits|numbers|numerals)\b|\bdigit\s+images|"
               r"\bdigits?\s+(?:from\s+)?0\s*(?:-|–|to)\s*9")
_CONTRAST = (r"alternativ|replac|instead|unlike|original|classic|rather than|compar|differ|\bthan\b|"
             r"\bnot\b|n't|successor|drop-in|inspired|based on|version|twin|same|similar|modell?ed|"
             r"derived|variant|counterpart|whereas|\bwhile\b|harder|challenging")


def _names_plain_mnist(sentence: str) -> bool:
    """Whether the sentence names MNIST itself, not only Fashion-MNIST."""
    return any("fashion" not in sentence[max(0, m.start() - 8):m.start()].lower()
               for m in re.finditer("mnist", sentence, re.IGNORECASE))


def _digits_warnings(text: str) -> list[str]:
    """Fashion-MNIST described as handwritten digits (MNIST named to compare with it is fine)."""
    for sentence in _sentences(text):
        found = _search(_DIGIT_DATA, sentence)
        if not found or _search(_CONTRAST, sentence):
            continue
        if found.group().lower().startswith("digit") and _search(r"label|class|categor", sentence):
            continue  # "labels are the digits 0 to 9": true
        if _names_plain_mnist(sentence) and _search(_CLOTHING, text):
            continue  # about MNIST, in an answer that says Fashion-MNIST is clothing
        return [_warning(found.group(), RULES["digits"])]
    return []


# --- Question 3: the layers ---

# "128 neurons", "128 ReLU neurons", "Dense(128", "a layer of 128" (not "of 784 values", "of 32 images").
_NEURONS = re.compile(
    r"(?<![\w.,])(\d{1,5})[\s-]+(?:number\s+of\s+|(?!(?:and|or|of|to|the)\b)[a-z]+[\s-]+)?"
    r"(?:neurons?|units?|nodes?)\b"
    r"|Dense\(\s*(?:units\s*=\s*)?(\d+)"
    r"|\blayers?\s+(?:of|with)\s+(\d{1,5})\b(?!\s*(?:[x×%.,]\d|[a-z]+))", re.IGNORECASE)
_COUNT_WORDS = {"one": 1, "single": 1, "two": 2, "second": 2, "2nd": 2, "three": 3, "third": 3,
                "3rd": 3, "four": 4, "five": 5}
_HIDDEN_COUNT = re.compile(r"\b(\d|one|single|two|second|2nd|three|third|3rd|four|five)\s+"
                           r"(?:(?:dense|densely[\s-]connected|fully[\s-]connected)\s+)?"
                           r"hidden[\s-]+layers?\b", re.IGNORECASE)
_ACTIVATIONS = re.compile(r"\b(?:(leaky[\s_-]?relu)|(relu|rectified linear)|(sigmoid|tanh|elu|gelu|"
                          r"selu|softplus|swish|silu))\b", re.IGNORECASE)
_LAYER_KINDS = {
    "convolution": r"\bconv(?:olution(?:al)?)?(?:\s*2d)?\b",
    "pooling": r"\b(?:max[\s_-]?)?pool(?:ing)?(?:2d)?\b",
    "dropout": r"\bdropout\b",
    "batch normalisation": r"\bbatch[\s_-]?norm",
}
_OUTPUT = (r"out?put|\blast\b|\bfinal\b|classification layer|Dense\(\s*10\b|"
           r"\b10\s+(?:neurons|units|nodes|outputs)")
# Softmax said to come after the trained layers (a probability model), not in the output layer.
_AFTER_TRAINING = (r"\bafter|later|afterwards|\bonce\b|probability.?model|separate|on top|outside|"
                   r"wrap|append|attach|\bno\b|\bnot\b|n't|without|instead")


def _neuron_count(found: re.Match) -> int:
    return int(next(group for group in found.groups() if group))


def _listed(values: Iterable) -> str:
    values = [str(value) for value in values]
    return ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else values[0]


def _layer_warnings(text: str, evidence: Evidence) -> list[str]:
    """Layers, neuron counts and activations the student's models do not have; softmax output."""
    widths = sorted({width for model in evidence.models for width in model.hidden_layers})
    counts = sorted({len(model.hidden_layers) for model in evidence.models})
    activations = sorted({model.activation for model in evidence.models})
    kinds = set().union(*(model.layer_kinds for model in evidence.models))
    whose = evidence.whose
    warnings = []
    for sentence in _sentences(text):
        # Before the hedges: "the output layer has no softmax" is what _AFTER_TRAINING lets pass.
        if _search("softmax", sentence) and (
                _search(r"activation\s*=\s*['\"]softmax", sentence)
                or (_search(_OUTPUT, sentence) and not _search(_AFTER_TRAINING, sentence))):
            warnings.append(_warning("softmax", RULES["softmax output"]))
        if _search(_HEDGED, sentence):
            continue
        for found in _NEURONS.finditer(sentence):
            count = _neuron_count(found)
            if count not in widths and count not in (10, 784):
                warnings.append(_warning(found.group(), RULES["neurons"].format(
                    whose=whose, count=count, widths=", ".join(map(str, widths)))))
        for found in _HIDDEN_COUNT.finditer(sentence):
            word = found.group(1).lower()
            count = int(word) if word.isdigit() else _COUNT_WORDS[word]
            if count not in counts:
                warnings.append(_warning(found.group(), RULES["hidden layers"].format(
                    whose=whose, counts=_listed(counts), s="" if counts == [1] else "s",
                    count=count)))
        for found in _ACTIVATIONS.finditer(sentence):
            name = "relu" if found.group(2) else found.group().lower().replace(" ", "_")
            if name not in activations:
                warnings.append(_warning(found.group(), RULES["activation"].format(
                    whose=whose, names=_listed(activations), name=found.group())))
        for kind, pattern in _LAYER_KINDS.items():
            found = _search(pattern, sentence)
            if found and kind not in kinds:
                warnings.append(_warning(found.group(), RULES["layer"].format(whose=whose, name=kind)))
    return list(dict.fromkeys(warnings))


# --- Question 5: the first test image ---

# How people name each class, in the order of its label.
_CLASS_WORDS = dict(zip(CLASS_NAMES, (
    r"\bt[\s-]?shirts?|\btees?\b|shirt/top", r"\btrousers?|\bpants\b", r"\bpullovers?|\bsweaters?|\bjumpers?",
    r"\bdress(?:es)?\b", r"\bcoats?\b", r"\bsandals?\b", r"(?<!t\s)(?<![\w-])shirts?\b", r"\bsneakers?\b",
    r"\b(?:hand)?bags?\b", r"\b(?:ankle[\s-]?)?boots?\b",
), strict=True))
_ANY_CLASS = "|".join(_CLASS_WORDS.values())
# A label given as a number after the word that says what it is: "predicted 9", "Actual label: 9";
# not an index (image 0, test_labels[0]), a step (2.6), a share (97 %), a count (2 epochs) or a
# longer number.
_LABEL_NUMBER = re.compile(
    r"\b(?:predict\w*|label\w*|actual|true|class|argmax|output|guess\w*|classified\s+as|sa(?:id|ys)|"
    r"thinks?|thought|chose)\b"
    r"[^.!?\n]{0,45}?(?<![\w\[.,#/])(?<!image )(?<!index )(?<!step )(?<!epoch )([0-9])"
    r"(?![\w\]/%]|[.,]\d|\s?%|\s+(?:epochs?|images?|times|layers?|neurons|classes|steps?|seconds?)\b)",
    re.IGNORECASE)
_PREDICTED = r"predict|guess|argmax|\boutput|classified|\bsa(?:id|ys)\b|\bthinks?\b|\bthought\b|\bchose\b"
_ACTUAL = (r"actual|\btrue\b|\breal|correct|ground.?truth|really|in fact|test_labels|expected|should be|"
           r"\b(?:its|the) (?:label|class)\b")
_A_LABEL = rf"{_ANY_CLASS}|{_LABEL_NUMBER.pattern}"


def _label_warnings(text: str) -> list[str]:
    """A predicted or actual label given as a number only, or none given at all."""
    numbers = {}
    for found in _LABEL_NUMBER.finditer(text):
        numbers.setdefault(int(found.group(1)), found.group())
    if not numbers and not _search(_ANY_CLASS, text):
        return [_warning("", RULES["no prediction"])]
    return [_warning(quote.strip(), RULES["label number"].format(digit=digit))
            for digit, quote in sorted(numbers.items())
            if not _search(_CLASS_WORDS[CLASS_NAMES[digit]], text)]


# --- Accuracies ---

_ACCURACY_NUMBER = re.compile(
    r"(?<![\w.,])(?P<pct>\d{1,3}(?:[.,]\d+)?)\s?(?:%|percent\b)"
    r"|(?<![\w.,])(?P<frac>0?[.,]\d{2,})(?![\d%])"
    r"|(?<=accuracy)\s*(?:of|was|is|=|:)?\s*(?P<bare>\d{2}[.,]\d+)(?!\d|\s?%)", re.IGNORECASE)
# What a number in an accuracy sentence may be instead: a loss, a setting, a gain, a share of data.
_NOT_ACCURACY_BEFORE = (r"(?:loss|dropout|rate|\blr|split|decay|l2|lambda|momentum|seed|\bby|\+|"
                        r"second|size|param\w*|probabilit\w*|confidence)\W*(?:of|was|is|=|:)?\W*$")
_NOT_ACCURACY_AFTER = r"^\s*(?:points?|pp\b|percentage|of\b|confiden|probab|certain|sure)"
# Sentences about accuracies nobody here measured: hopes, references, other people's results.
_NOT_MEASURED = (r"\b(?:could|might|would|should|may|expect\w*|typical\w*|usually|human|"
                 r"state[\s-]of[\s-]the[\s-]art|papers?|benchmarks?|target|goal|aim|possibl\w*|"
                 r"potential\w*|up to|reported|literature|sota)\b")
_AT_LEAST = r"(?:over|above|more than|greater than|at least|exceed\w*|beyond|>|≥)\s*$"
_AT_MOST = r"(?:under|below|less than|at most|<|≤)\s*$"
_ABOUT = r"(?:about|around|approx\w*|roughly|nearly|almost|close to|circa|~|≈)\s*$"


@dataclass(frozen=True)
class _Accuracy:
    """An accuracy as written: its value (0–1), how far off its digits allow, and any bound."""

    quote: str
    value: float
    tolerance: float
    bound: str = ""  # "at least", "at most" or ""

    def reached_by(self, accuracies: Iterable[float]) -> bool:
        slack = self.tolerance + 1e-9
        if self.bound == "at least":
            return any(a >= self.value - slack for a in accuracies)
        if self.bound == "at most":
            return any(a <= self.value + slack for a in accuracies)
        return any(abs(a - self.value) <= slack for a in accuracies)


def _accuracies_claimed(text: str) -> list[_Accuracy]:
    """The accuracies the text says a run of the student's measured."""
    claims = []
    for sentence in _sentences(text):
        if not _search(r"accura|\bacc\b", sentence) or _search(_NOT_MEASURED, sentence):
            continue
        for found in _ACCURACY_NUMBER.finditer(sentence):
            before, after = sentence[max(0, found.start() - 25):found.start()], sentence[found.end():]
            if _search(_NOT_ACCURACY_BEFORE, before) or _search(_NOT_ACCURACY_AFTER, after):
                continue
            digits = (found.group("pct") or found.group("frac") or found.group("bare")).replace(",", ".")
            decimals = len(digits.partition(".")[2])
            scale = 1 if found.group("frac") else 100
            # One unit of the last digit written: 88.95 % may be 0.88946 rounded or 0.88957 cut.
            tolerance = 10 ** -decimals / scale
            if _search(_ABOUT, before):
                tolerance = max(2 * tolerance, 0.01)
            bound = ("at least" if _search(_AT_LEAST, before)
                     else "at most" if _search(_AT_MOST, before) else "")
            claims.append(_Accuracy(found.group().strip(), float(digits) / scale, tolerance, bound))
    return claims


def _accuracy_warnings(text: str, evidence: Evidence) -> list[str]:
    if not evidence.checks_accuracy:
        return []
    best = f"{max(evidence.accuracies):.2%}" if evidence.accuracies else "no run yet"
    measured = (*evidence.accuracies, *evidence.epoch_accuracies)
    return list(dict.fromkeys(_warning(claim.quote, RULES["accuracy"].format(best=best))
                              for claim in _accuracies_claimed(text) if not claim.reached_by(measured)))


def _warning(quote: str, sentence: str) -> str:
    """The rule's sentence after the words it is about: “4 neurons”: no hidden layer …."""
    if not quote:
        return sentence[0].upper() + sentence[1:]
    quote = quote if len(quote) <= 60 else quote[:57] + "…"
    return f"“{quote}”: {sentence}"


# --- The checklist ---

@dataclass(frozen=True)
class Item:
    """One thing a complete answer usually covers: its label, and whether a text covers it."""

    label: str
    covered: Callable[[str], bool]


_SIXTY, _TEN = _thousands(60_000), _thousands(10_000)
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


# --- Checking ---

def check_answer(question: int, answer: str, evidence: Evidence = LESSON_EVIDENCE) -> dict:
    """One answer's hints: {"found", "covers", "missing", "warnings"}."""
    if question not in QUESTIONS:
        raise ValueError(f"question must be one of 1 to {len(QUESTIONS)}, got {question!r}.")
    text = _plain(answer or "")
    found = bool(re.search(r"\w", text))
    covers = [item.label for item in CHECKLIST[question] if found and item.covered(text)]
    warnings = []
    if found:
        if question == 1:
            warnings += _digits_warnings(text)
        if question == 3:
            warnings += _layer_warnings(text, evidence)
        if question == 5:
            warnings += _label_warnings(text)
        if question != 1:  # question 1 quotes other people's results, if any
            warnings += _accuracy_warnings(text, evidence)
    return {"found": found, "covers": covers,
            "missing": [item.label for item in CHECKLIST[question] if item.label not in covers],
            "warnings": warnings}


def check_answers(answers: Mapping[int, str], evidence: Evidence = LESSON_EVIDENCE) -> dict[str, dict]:
    """The hints on six answers (the page's six boxes), keyed "1" to "6", always all six."""
    return {str(question): check_answer(question, answers.get(question, ""), evidence)
            for question in QUESTIONS}


def check(text: str, evidence: Evidence = LESSON_EVIDENCE) -> dict[str, dict]:
    """The hints on a whole write-up, its answers found by `find_answers`."""
    return check_answers(find_answers(text), evidence)


# --- Finding the answers in a README ---

_FENCE = re.compile(r"^\s*(?:```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s")
_Q_MARKER = re.compile(r"^\s{0,3}(?:#{1,6}\s*)?[*_]{0,2}\s*(?:q|question)\s*\.?\s*#?\s*([1-6])(?!\d)"
                       r"[*_]{0,2}\s*[.):\-–—]?[*_]{0,2}\s*(.*)$", re.IGNORECASE)
_N_MARKER = re.compile(r"^\s{0,3}(#{1,6}\s*)?([*_]{0,2})\s*([1-6])(\s*[.):]\s*|\s*[-–—]\s+|\s+)(?!\d)(.*)$")
_QUESTION_WORD = re.compile(r"^\W*(?:what|why|how|which|when|where|who|list|describe|explain|compare|"
                            r"name|give|state|define|show)\b", re.IGNORECASE)
_ANSWER_PREFIX = re.compile(r"^\s*[>*_]*\s*(?:my\s+)?(?:a[mn][sw]{1,2}e?rs?|ans|a)\s*\d?\s*[*_]*\s*"
                            r"[:.\-–—]+\s*[*_]*\s*", re.IGNORECASE)
# What a question (or a section heading) is about, to number it when it carries no number.
_QUESTION_TOPICS = {
    1: (r"fashion|mnist|data ?set|\bdata\b|images",),
    2: (r"normali|pixel|scal|255|preprocess",),
    3: (r"layer|architecture|network|\bmodel\b",),
    4: (r"epoch|\btrain",),
    5: (r"predict", r"label", r"first (?:test )?image"),
    6: (r"improv|accura|better|increase|enhanc",),
}
# What a sentence of a summary is about, each pattern with its weight.
_SENTENCE_TOPICS = {
    1: ((r"\bdata ?set\b", 0.5), (r"fashion.?mnist\s+(?:is|consists|contains|has|includes|dataset)", 1),
        (rf"{_thousands(70_000)}|{_SIXTY}|{_TEN}", 1), (r"gr[ae]y[\s-]?scale", 1),
        (r"\b28\s*[x×]\s*28\b", 1), (r"categor|classes", 0.5), (r"zalando", 1),
        (r"train\w*\s+and\s+test\w*\s+(?:sets?|images|data)", 1)),
    2: ((r"normali", 1), (r"pixel", 1), (r"\b255\b", 1), (r"\b0\s*(?:-|–|to)\s*1\b(?!\d)", 1),
        (r"rescal|\bscal(?:e|ing)\b", 1), (r"preprocess", 0.5)),
    3: ((r"layer", 1), (r"flatten", 1), (r"\bdense", 1), (r"neurons?|units", 1),
        (r"activation|relu|softmax", 1), (r"architecture", 1), (r"\b784\b", 1)),
    4: ((r"epoch", 1), (r"\bbatch", 0.5), (r"pass(?:es)?\s+(?:over|through)", 1)),
    5: ((r"first (?:test )?(?:image|picture|item|sample)", 1),
        (r"(?:actual|true|real) (?:label|class)", 1)),
    6: ((r"improv|enhanc|boost", 1), (r"(?:increase|raise|higher|better)\b[^.]{0,30}accura", 1),
        (r"accura\w*[^.]{0,30}(?:increase|rose|went up|improv)", 1)),
}
_QUESTION_TOPIC_WEIGHTS = {number: [(pattern, 1) for pattern in patterns]
                           for number, patterns in _QUESTION_TOPICS.items()}


def find_answers(text: str) -> dict[int, str]:
    """The answers a README gives to the six questions, by number; a question not answered is absent.

    Questions are found as numbered headings or lines ("### 1.", "1)", "Q1:", "Question 1", "**1.
    …**", a table's rows); without numbers, a question or heading is numbered by its topic, and
    in a summary with no questions at all each sentence goes to the question it talks about.
    """
    lines = _untabled(text.splitlines())
    code = _code_lines(lines)
    markers = _markers(lines, code)
    found = _numbered_answers(lines, code, markers) if markers else _answers_by_topic(lines, code)
    return {number: answer for number, answer in sorted(found.items()) if re.search(r"\w", answer)}


def _untabled(lines: list[str]) -> list[str]:
    """A Markdown table's rows as lines: "Q1. the question", then the answer cells."""
    result = []
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            result.append(line)
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if re.match(r"^\s*\|?[\s:|-]*-{3,}[\s:|-]*$", line) or re.match(r"^\s*\|?[\s:|-]*-{3,}", following):
            continue  # the separator, and the header row above it
        cells = [re.sub(r"<br\s*/?>", "\n", cell).strip() for cell in line.strip().strip("|").split("|")]
        number = re.fullmatch(r"(?:q(?:uestion)?\s*)?([1-6])[.):]?", cells[0], re.IGNORECASE)
        if number:
            cells = cells[1:]
        question = next((cell for cell in cells if cell.endswith("?")), "")
        answer = [cell for cell in cells if cell and cell != question]
        if number:
            result.append(f"Q{number.group(1)}. {question}")
        elif question:
            result.append(question)
        result += "\n".join(answer).splitlines()
    return result


def _code_lines(lines: list[str]) -> list[bool]:
    """Whether each line is code (a fence or inside one): its "# comment" is not a heading."""
    flags, inside = [], False
    for line in lines:
        fence = bool(_FENCE.match(line))
        flags.append(inside or fence)
        inside ^= fence
    return flags


@dataclass(frozen=True)
class _Marker:
    line: int
    number: int
    inline: str  # an answer that begins on the question's own line
    level: int  # the heading's level; 0 for a line that is not a heading


def _markers(lines: list[str], code: list[bool]) -> list[_Marker]:
    """The numbered questions, in increasing order (a numbered list inside an answer is not one)."""
    markers, last = [], 0
    for index, line in enumerate(lines):
        if code[index]:
            continue
        heading = _HEADING.match(line)
        level = len(heading.group(1)) if heading else 0
        if q_form := _Q_MARKER.match(line):
            number, rest, strong, bold = int(q_form.group(1)), q_form.group(2), True, False
        elif n_form := _N_MARKER.match(line):
            number, rest = int(n_form.group(3)), n_form.group(5)
            bold, spaced = bool(n_form.group(2)), not n_form.group(4).strip()
            if spaced and not (heading or bold):
                continue  # "2 hidden layers …" starts a sentence, not a question
            strong = bool(heading)
        else:
            continue
        if number <= last or not (strong or _looks_like_question(number, rest, bold)):
            continue
        markers.append(_Marker(index, number, "" if heading else _after_question(rest), level))
        last = number
    return markers


def _looks_like_question(number: int, rest: str, bold: bool) -> bool:
    """A numbered line that asks, or starts an answer about its question's topic."""
    plain = _plain(rest).strip()
    if "?" in plain or _QUESTION_WORD.match(plain):
        return True
    on_topic = any(_search(pattern, plain) for pattern in _QUESTION_TOPICS[number])
    whole_line_bold = bold and rest.rstrip().endswith(("**", "__"))
    return on_topic and (whole_line_bold or len(plain) > 40)


def _after_question(rest: str) -> str:
    """What follows the question on its own line: "What is X? X is …" gives "X is …"."""
    if "?" in rest:
        return rest.split("?", 1)[1]
    return "" if _QUESTION_WORD.match(_plain(rest)) else rest


def _numbered_answers(lines: list[str], code: list[bool], markers: list[_Marker]) -> dict[int, str]:
    answers = {}
    for marker, following in zip(markers, [*markers[1:], None]):
        body = []
        for index in range(marker.line + 1, following.line if following else len(lines)):
            heading = None if code[index] else _HEADING.match(lines[index])
            if heading and len(heading.group(1)) <= (marker.level or 2):
                break  # a section of the README after the answer
            body.append(lines[index])
        answers[marker.number] = _cleaned("\n".join([marker.inline, *body]))
    return answers


def _cleaned(answer: str) -> str:
    """The answer without the question repeated above it nor an "answer:" prefix."""
    lines = answer.strip().splitlines()
    while lines and (not lines[0].strip() or _plain(lines[0]).strip().endswith("?")):
        lines.pop(0)
    if lines:
        lines[0] = _ANSWER_PREFIX.sub("", lines[0], count=1)
    return "\n".join(lines).strip().strip("*_").strip()


def _answers_by_topic(lines: list[str], code: list[bool]) -> dict[int, str]:
    """Each sentence to the question (or topic heading) above it; without one, to the question it
    talks about, or to the sentence before it in its paragraph; the rest is about nothing asked."""
    answers: dict[int, list[str]] = {}
    section, previous = None, None
    for line, in_code in zip(lines, code):
        plain = _plain(line).strip()
        if not plain:
            previous = None  # a new paragraph
        if not plain or _FENCE.match(line):
            continue
        heading = None if in_code else _HEADING.match(line)
        if heading or (not in_code and plain.endswith("?")):
            asks = "?" in plain or _QUESTION_WORD.match(plain.lstrip("# "))
            title = heading and len(heading.group(1)) == 1 and not asks  # the README's own name
            section = None if title else _topic(plain, _QUESTION_TOPIC_WEIGHTS)
            previous = section
            continue
        for sentence in _sentences(_ANSWER_PREFIX.sub("", plain, count=1)):
            question = section or _topic(sentence, _SENTENCE_TOPICS) or previous
            if question:
                answers.setdefault(question, []).append(sentence)
            previous = question
    return {number: "\n".join(sentences) for number, sentences in answers.items()}


def _topic(text: str, topics: Mapping[int, Iterable[tuple[str, float]]]) -> int | None:
    """The question `text` talks about most (a score of 1 at least), the first on a tie."""
    scores = {number: sum(weight for pattern, weight in patterns if _search(pattern, text))
              for number, patterns in topics.items()}
    best = max(scores, key=lambda number: (scores[number], -number))
    return best if scores[best] >= 1 else None


# --- The command line ---

def main(argv: Sequence[str] | None = None) -> int:
    """`check FILE...`: one JSON line per file; 2 if a file could not be read (the others are)."""
    module = __spec__.name if __spec__ else "fmnist_core.writeup"
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}",
        description="Hints on lesson write-ups: the six answers found in each README, what each "
                    "covers and misses, and warnings for the usual mix-ups.")
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="check README files, one JSON line per file")
    checking.add_argument("files", nargs="+", metavar="FILE", type=Path)
    arguments = parser.parse_args(argv)
    status = 0
    for path in arguments.files:
        try:
            text = path.read_bytes().decode("utf-8-sig", errors="replace")
        except OSError as error:
            print(f"{parser.prog}: cannot read {path}: {error.strerror or error}", file=sys.stderr)
            status = 2
            continue
        print(json.dumps({"file": str(path), "questions": check(text)}, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")  # JSON lines are UTF-8, whatever the console says
    sys.exit(main())

"""The write-up checker's warnings: each mix-up real write-ups make, explained in one sentence
(`RULES`), found in the text and checked against the evidence: digits for Fashion-MNIST (question
1), a layer, neuron count or activation the student's models lack (3), a label number or no
prediction (5), an accuracy no run reached (all but 1)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fmnist_core.data import CLASS_NAMES
from fmnist_core.lesson.writeup.evidence import Evidence
from fmnist_core.lesson.writeup.text import _HEDGED, _search, _sentences

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

#!/usr/bin/env python3
"""Times scikit-learn's MLPClassifier on the committed digits split (what a user would
otherwise pick), for README's side-by-side with skipgrad.

Data: digits/data/digits.skgd (the stratified 75/25 split of `tools/digits_export.py`,
random_state=0), pixels / 16. Models: MLPClassifier(hidden_layer_sizes=H, solver="adam",
max_iter=300, random_state=0) for H = (32, 32) and (64,); scikit-learn's other defaults
(ReLU, batch 200, lr 1e-3, early stopping on the training loss). The time is the `fit` call
alone (wall clock), each fit run REPEATS times, median reported; the data is loaded and
scaled before the clock starts.

Run from the repository root:  python3 tools/digits_sklearn.py [--json]
"""

import json
import pathlib
import statistics
import sys
import time
import warnings

import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_digits as sd  # noqa: E402

HIDDEN = [(32, 32), (64,)]
REPEATS = 3


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    x_train, y_train, x_test, y_test = sd.load()
    x_train, x_test = sd.scale(x_train), sd.scale(x_test)
    rows = []
    for hidden in HIDDEN:
        times = []
        for _ in range(REPEATS):
            model = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", max_iter=300, random_state=0)
            start = time.perf_counter()
            model.fit(x_train, y_train)
            times.append(time.perf_counter() - start)
        rows.append({
            "hidden": list(hidden),
            "test_accuracy": model.score(x_test, y_test),
            "epochs": model.n_iter_,
            "fit_seconds": round(statistics.median(times), 3),
            "fit_seconds_all": [round(t, 3) for t in times],
        })
    if sys.argv[1:] == ["--json"]:
        print(json.dumps({"sklearn_version": sklearn.__version__, "runs": rows}))
        return
    for r in rows:
        print(f"MLPClassifier{tuple(r['hidden'])}: test accuracy {r['test_accuracy']:.4f}, "
              f"{r['epochs']} epochs, fit {r['fit_seconds']:.3f} s (median of {REPEATS}: "
              f"{r['fit_seconds_all']})")


if __name__ == "__main__":
    main()

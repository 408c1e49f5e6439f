"""Accuracy of the comment scorer (dagster_project/voc) on labelled comments: language accuracy
(on comments of 10 characters or more), sentiment macro-F1 per language (3 classes, and
positive vs negative: on the comments labelled positive or negative, the mean F1 of the two
classes over the 3-class predictions, so a neutral prediction of a polar comment is a miss) and
topic precision / recall.

Labelled sets it reads (none is shipped in the repo; bench/README.md "Voice of the customer"
says where each comes from, its licence and the figures):

  --labelled FILE   our own CSV: text, language, sentiment[, topics (", "-separated)]
  --vlsp FILE       VLSP 2016 sentiment (Vietnamese, 3 classes): TSV `Class<TAB>Data`, -1/0/1
  --uci FILE        UCI "Sentiment Labelled Sentences" (English, 2 classes): `sentence<TAB>0|1`
  --generated N     N customers of the built-in generator: its planted ground truth (synthetic,
                    the only one with topic labels here)

    .venv/bin/python bench/voc_accuracy.py --vlsp vlsp_test.tsv --uci amazon_cells_labelled.txt
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dagster_project.voc.scoring import score_comments, warm_up  # noqa: E402

CLASSES = ("positive", "neutral", "negative")


def read_labelled(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["source"] = path.name
    return frame


def read_vlsp(path: Path) -> pd.DataFrame:
    rows = list(csv.reader(path.open(encoding="utf-8"), delimiter="\t"))[1:]
    names = {"-1": "negative", "0": "neutral", "1": "positive"}
    return pd.DataFrame({"text": [r[1] for r in rows if len(r) >= 2],
                         "language": "vi",
                         "sentiment": [names[r[0].strip()] for r in rows if len(r) >= 2],
                         "source": path.name})


def read_uci(path: Path) -> pd.DataFrame:
    rows = [line.rsplit("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()
            if "\t" in line]
    return pd.DataFrame({"text": [r[0] for r in rows], "language": "en",
                         "sentiment": ["positive" if r[1].strip() == "1" else "negative"
                                       for r in rows], "source": path.name})


def read_generated(customers: int) -> pd.DataFrame:
    import duckdb

    from dagster_project.sample_data.generator import generate_landing_zone

    with tempfile.TemporaryDirectory() as folder:
        landing = Path(folder)
        generate_landing_zone(landing, customers=customers, seed=7)
        with duckdb.connect() as con:
            written = con.execute(
                f"select response_id, comment as text from read_csv('{landing.as_posix()}/"
                "survey/responses/*.csv', all_varchar = true) where comment is not null").df()
        truth = pd.read_csv(landing / "_ground_truth" / "comments.csv", dtype=str,
                            keep_default_na=False)
    frame = written.drop_duplicates("response_id").merge(truth, on="response_id")
    frame["source"] = f"generator ({customers} customers)"
    return frame[["text", "language", "sentiment", "topics", "source"]]


def f1(truth: pd.Series, predicted: pd.Series, label: str) -> float:
    tp = ((truth == label) & (predicted == label)).sum()
    fp = ((truth != label) & (predicted == label)).sum()
    fn = ((truth == label) & (predicted != label)).sum()
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def report(frame: pd.DataFrame, scored: pd.DataFrame) -> list[str]:
    lines = []
    long = frame.text.str.len() >= 10
    accuracy = (scored.language[long] == frame.language[long]).mean()
    counts = ", ".join(f"{k} {v}" for k, v in frame.language.value_counts().items())
    lines.append(f"language accuracy (>= 10 characters): {accuracy:.3f} on {long.sum()} "
                 f"comments ({counts})")
    for language, rows in frame.groupby("language"):
        truth, predicted = rows.sentiment, scored.sentiment[rows.index]
        classes = [c for c in CLASSES if (truth == c).any()]
        polar = truth.isin(["positive", "negative"])
        pos_neg = (f1(truth[polar], predicted[polar], "positive")
                   + f1(truth[polar], predicted[polar], "negative")) / 2
        three = (sum(f1(truth, predicted, c) for c in CLASSES) / 3
                 if len(classes) == 3 else float("nan"))
        lines.append(f"sentiment {language}: positive-vs-negative F1 {pos_neg:.3f}, 3-class "
                     f"macro-F1 {'n/a (no neutral label)' if three != three else f'{three:.3f}'}"
                     f" on {len(rows)} comments; predicted "
                     f"{ {k: int(v) for k, v in predicted.value_counts().items()} }")
    if "topics" in frame and (frame.topics != "").any():
        truth = frame.topics.str.split(", ").apply(lambda t: {x for x in t if x})
        found = scored.topics.str.split(", ").apply(lambda t: {x for x in t if x})
        tp = sum(len(a & b) for a, b in zip(truth, found, strict=True))
        fp = sum(len(b - a) for a, b in zip(truth, found, strict=True))
        fn = sum(len(a - b) for a, b in zip(truth, found, strict=True))
        lines.append(f"topics: precision {tp / max(tp + fp, 1):.3f}, recall "
                     f"{tp / max(tp + fn, 1):.3f} ({tp + fn} labelled mentions)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelled", type=Path, action="append", default=[])
    parser.add_argument("--vlsp", type=Path, action="append", default=[])
    parser.add_argument("--uci", type=Path, action="append", default=[])
    parser.add_argument("--generated", type=int, default=0)
    args = parser.parse_args()
    frames = ([read_labelled(p) for p in args.labelled] + [read_vlsp(p) for p in args.vlsp]
              + [read_uci(p) for p in args.uci]
              + ([read_generated(args.generated)] if args.generated else []))
    if not frames:
        parser.error("give at least one labelled set")
    warm_up()
    for frame in frames:
        frame = frame.reset_index(drop=True)
        started = time.perf_counter()
        scored = score_comments(frame.text)
        seconds = time.perf_counter() - started
        print(f"== {frame.source.iloc[0]}: {len(frame)} comments, scored in {seconds:.2f} s")
        for line in report(frame, scored):
            print("  " + line)


if __name__ == "__main__":
    main()

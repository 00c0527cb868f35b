"""Reads what `portcullis loadtest` wrote with independent tools, for LoadTestOutputTests.

    python loadtest_outputs.py LOG.hlog PLOT.svg

The interval log through HdrHistogram_py (HdrHistogram's own Python port: its log reader and its
decoder of the compressed V2 encoding), the SVG through Python's XML parser. Prints JSON:
{"intervals": N, "tags": {tag: {"count": C, "max_ms": M}}, "svg": {"root": ..., "polylines": P}}.
"""
import json
import sys
import xml.etree.ElementTree as ElementTree

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def main(log_path, svg_path):
    accumulated = HdrHistogram(1000, 600_000_000_000, 3)
    reader = HistogramLogReader(log_path, accumulated)
    tags = {}
    intervals = 0
    while True:
        histogram = reader.get_next_interval_histogram()
        if histogram is None:
            break
        intervals += 1
        tag = histogram.get_tag()
        merged = tags.setdefault(tag, HdrHistogram(1000, 600_000_000_000, 3))
        merged.add(histogram)
    root = ElementTree.parse(svg_path).getroot()
    namespace = "{http://www.w3.org/2000/svg}"
    print(json.dumps({
        "intervals": intervals,
        "tags": {tag: {"count": h.get_total_count(), "max_ms": h.get_max_value() / 1e6} for tag, h in tags.items()},
        "svg": {"root": root.tag, "polylines": len(root.findall(namespace + "polyline"))},
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env python3
"""Renders the charts and tables a headless notebook run displayed, as a notebook front end shows them, to PNG files.

    ANOMALYMOE_NOTEBOOK_DUMP=/tmp/dump dotnet test tests/AnomalyMoE.Tests -c Release --filter "FullyQualifiedName~Notebooks"
    python3 tools/render-notebook-outputs.py /tmp/dump --plotly plotly.min.js [--browser chromium]

Each <notebook>-cell<n>-<k>.html of the dump becomes <same name>.png beside it (the displayed PNG images are in the dump
already). Chart fragments load plotly.js through require.js from a CDN; here a local plotly.js (e.g. the npm package
plotly.js-dist-min at the version Plotly.NET names) is inlined and require.js is stood in for, so no network is needed.
A development aid: needs a Chromium-based browser; nothing at run time depends on it.
"""
import argparse, json, pathlib, re, subprocess, sys, tempfile

REQUIRE_STANDIN = """<script>
// Stands in for require.js: the fragment asks for the 'plotly' module, which the page already holds.
window.requirejs = function () {};
window.requirejs.config = function () { return function (modules, callback) { callback(window.Plotly); }; };
</script>"""

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<style>body {{ margin: 8px; background: white; font-family: sans-serif; font-size: 13px; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}</style>
{head}</head><body>{body}</body></html>"""


def size_of(fragment: str):
    """The chart's layout width and height when it sets them, else a default frame."""
    layout = re.search(r'var layout = (\{.*?\});\n', fragment, re.S)
    width, height = 900, 650
    if layout:
        try:
            values = json.loads(layout.group(1))
            width, height = int(values.get("width", width)), int(values.get("height", height))
        except (ValueError, TypeError):
            pass
    return width + 16, height + 16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=pathlib.Path, help="folder written with ANOMALYMOE_NOTEBOOK_DUMP")
    parser.add_argument("--plotly", type=pathlib.Path, required=True, help="a local plotly.min.js")
    parser.add_argument("--browser", default="chromium", help="Chromium-based browser binary (default: chromium)")
    args = parser.parse_args()
    plotly = args.plotly.read_text(encoding="utf-8")
    pages = sorted(args.dump.glob("*.html"))
    if not pages:
        print(f"no .html outputs in {args.dump}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        for page in pages:
            fragment = page.read_text(encoding="utf-8")
            is_chart = "Plotly.newPlot" in fragment
            head = f"<script>{plotly}</script>{REQUIRE_STANDIN}" if is_chart else ""
            width, height = size_of(fragment) if is_chart else (1000, 60 + 28 * fragment.count("<tr>"))
            html = pathlib.Path(work) / page.name
            html.write_text(PAGE.format(head=head, body=fragment), encoding="utf-8")
            png = page.with_suffix(".png")
            subprocess.run([args.browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--virtual-time-budget=5000", f"--window-size={width},{height}", f"--screenshot={png}",
                            html.as_uri()], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())

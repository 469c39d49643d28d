"""The notebook here is a fixture that tests/test_browser.py opens in a browser, not a test."""

collect_ignore = ["fixture_panel.ipynb"]

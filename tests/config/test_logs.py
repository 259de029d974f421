"""The CPR mask on log records: the app's handler and granian's access and error logs."""

from __future__ import annotations

import importlib
import json
import logging

from digitalpost.cli.main import _granian_log_config
from digitalpost.config.logs import MaskCprNumbers


def test_a_cpr_number_in_a_record_is_replaced_by_a_keyed_tag():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "lookup of %s (%s)", ("0505851234", "050585-1234"), None)
    assert MaskCprNumbers().filter(record)
    message = record.getMessage()
    assert "0505851234" not in message
    assert "050585-1234" not in message
    assert message.count("cpr#") == 2


def test_granians_access_and_error_logs_go_through_the_mask(tmp_path):
    config = json.loads(_granian_log_config(tmp_path).read_text())
    (name, spec), = config["filters"].items()
    assert importlib.import_module(spec["()"].rsplit(".", 1)[0]).MaskCprNumbers is MaskCprNumbers
    for handler in ("access", "console"):  # granian's two handlers, replaced whole by this file
        assert config["handlers"][handler]["filters"] == [name]
        assert config["handlers"][handler]["class"] == "logging.StreamHandler"

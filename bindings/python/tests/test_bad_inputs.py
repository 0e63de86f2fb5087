"""Bad inputs, from the table every binding reads (tests/bindings/bad-inputs.json):
each gets the same kind of error in Python as in Node."""

import json
from pathlib import Path

import pytest

import palisade

ROOT = Path(__file__).resolve().parents[3]
TABLE = json.loads((ROOT / "tests" / "bindings" / "bad-inputs.json").read_text())["cases"]

KINDS = {
    "unknown_agent": palisade.UnknownAgentError,
    "unknown_option": TypeError,
    "wrong_type": TypeError,
    "not_found": FileNotFoundError,
    "is_a_directory": IsADirectoryError,
    "policy": palisade.PolicyError,
}


def call(case):
    policy = palisade.Policy.load(str(ROOT / "examples" / "multi-agent.pal"))
    options = case.get("options", {})
    kind = case["call"]
    if kind == "load":
        return palisade.Policy.load(str(ROOT / case["path"]))
    if kind == "from_dsl":
        return palisade.Policy.from_dsl(case["text"])
    if kind in ("tools", "context"):
        return getattr(policy, kind)(case["agent"], **options)
    return getattr(policy, kind)(case["agent"], case["tool"], **options)


@pytest.mark.parametrize("case", TABLE, ids=lambda c: c["name"])
def test_a_bad_input_gets_its_kind_of_error(case):
    with pytest.raises(KINDS[case["error"]]) as caught:
        call(case)
    if case["error"] == "unknown_agent":
        assert "unknown agent `nobody`" in str(caught.value)
        assert isinstance(caught.value, ValueError)
    for key in case.get("options", {}) if case["error"] == "unknown_option" else ():
        assert key in str(caught.value), "the message names the option"

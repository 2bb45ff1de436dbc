"""Every key of the experiment file is documented in docs/experiments.md."""

from sim.experiment.spec import Distribution, Experiment, Factor, Range
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")


def test_every_experiment_key_is_documented():
    missing = [f"`{k}`" for k in Experiment.model_fields if f"`{k}`" not in DOC]
    missing += [f"factors[].{k}" for k in Factor.model_fields if f"`factors[].{k}`" not in DOC]
    missing += [f"factors[].range.{k}" for k in Range.model_fields if f"factors[].range.{k}" not in DOC]
    missing += [f"factors[].distribution.{k}" for k in Distribution.model_fields
                if f"`factors[].distribution.{k}`" not in DOC and f"`.{k}`" not in DOC]
    assert not missing, f"not in docs/experiments.md: {missing}"

from sim.cli import main


def test_validate_shipped(capsys):
    assert main(["validate", "scenarios/gaoming.yaml"]) == 0
    assert capsys.readouterr().out.startswith("ok:")

"""Every Python package under neurosim/ is listed in pyproject.toml (the list is explicit because the
presets folders are mapped into the package), and the README's commands are what CI runs."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "neurosim").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"


def test_ci_runs_the_readme_commands_in_order():
    """.ci/run takes its commands from README's "Two commands" section: the main job, then the tests."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```")[0].strip() for b in section.split("```sh\n")[1:]]
    assert len(blocks) == 2
    assert "neurosim run" in blocks[0] and blocks[1].endswith("pytest")
    assert "## Two commands" in (ROOT / ".ci" / "run").read_text()


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path))
    readme = (ROOT / "README.md").read_text()
    blocks = [b.split("```")[0] for b in readme.split("```python\n")[1:]]
    assert len(blocks) >= 2
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


"""Scenario files: TOML with ``extends`` and ``[run]``, Vensim ``.cin`` changes files, and
the problems reported (all at once, with file, line and a fix) before anything runs."""

from __future__ import annotations

import hashlib
import os
import textwrap
from pathlib import Path

import pytest

from lifecycle.errors import LifecycleError, ScenarioError
from lifecycle.scenarios import load_scenario, load_scenarios, parse_assignments

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
NAN_MODEL = ROOT / "tests" / "models" / "cli_nan.mdl"

NII = "networking initiative intensity"
NIS = "networking initiative start"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(paths, model) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenarios(paths if isinstance(paths, list) else [paths], model)
    return info.value.problems


def only_problem(path, model):
    (problem,) = problems_of(path, model)
    return problem


# -- valid files -------------------------------------------------------------------------


def test_shipped_scenarios_all_load_with_unique_names(cluster):
    files = sorted(SCENARIOS.glob("*.toml"))
    assert len(files) >= 13
    scens = load_scenarios(files, cluster)
    assert len({s.name for s in scens}) == len(files)
    for s in scens:
        assert s.description, f"{s.path} has no description"
        assert set(s.params) <= set(cluster.parameters), s.path


def test_shipped_extends_inherits_parent_values(cluster):
    parent = load_scenario(SCENARIOS / "university_spinoffs.toml", cluster)
    child = load_scenario(SCENARIOS / "university_spinoffs_with_training.toml", cluster)
    assert parent.params  # the parent sets something, inherited below
    for name, value in parent.params.items():
        assert child.params[name] == value
    assert child.params["managerial training"] == 1.0
    assert child.params["managerial training start"] == 5.0
    assert "managerial training" not in parent.params
    assert child.final_time == 80.0  # from baseline.toml, two levels up


def test_extends_chain_merges_and_overrides(tmp_path, cluster):
    write(
        tmp_path,
        "a.toml",
        f"""
        name = "a"
        [params]
        "{NII}" = 0.5
        "{NIS}" = 12
        "startup rate" = 0.1
        [run]
        final_time = 60
        time_step = 0.25
    """,
    )
    write(
        tmp_path,
        "b.toml",
        f"""
        name = "b"
        extends = "a.toml"
        [params]
        "{NII}" = 0.75
        [run]
        final_time = 50
    """,
    )
    c = write(
        tmp_path,
        "c.toml",
        f"""
        extends = "b.toml"
        description = "third level"
        [params]
        "{NIS}" = 20
        "imitation coefficient" = 0.5
    """,
    )
    s = load_scenario(c, cluster)
    assert s.name == "c"  # default: the file name, not inherited
    assert s.description == "third level"
    assert s.params == {NII: 0.75, NIS: 20.0, "startup rate": 0.1, "imitation coefficient": 0.5}
    assert (s.final_time, s.time_step, s.saveper) == (50.0, 0.25, None)
    assert s.run_settings == {"final_time": 50.0, "time_step": 0.25}
    assert all(isinstance(v, float) for v in s.params.values())
    assert s.sha256 == hashlib.sha256(c.read_bytes()).hexdigest()


def test_run_settings_read_and_checked(tmp_path, cluster):
    good = write(
        tmp_path,
        "good.toml",
        """
        [run]
        final_time = 30
        time_step = 0.0625
        saveper = 1
    """,
    )
    s = load_scenario(good, cluster)
    assert s.run_settings == {"final_time": 30.0, "time_step": 0.0625, "saveper": 1.0}
    assert s.params == {}
    bad = write(
        tmp_path,
        "bad.toml",
        """
        [run]
        final_time = -5
        timestep = 0.1
        saveper = "1"
    """,
    )
    probs = problems_of(bad, cluster)
    by_line = {p.line: p for p in probs}
    assert set(by_line) == {2, 3, 4}
    assert "final_time must be a positive number" in by_line[2].message
    assert "unknown setting 'timestep'" in by_line[3].message
    assert "time_step" in by_line[3].fix
    assert "saveper must be a positive number" in by_line[4].message
    big = write(tmp_path, "big.toml", "[run]\nfinal_time = 1\ntime_step = 2\n")
    assert "time_step is larger than final_time" in only_problem(big, cluster).message


def test_name_matching_follows_vensim_and_uses_model_spelling(tmp_path, cluster):
    path = write(
        tmp_path,
        "n.toml",
        """
        [params]
        "Networking_Initiative_Intensity" = 1
        "NETWORKING  initiative_start" = 9
    """,
    )
    assert load_scenario(path, cluster).params == {NII: 1.0, NIS: 9.0}


def test_integer_values_become_floats(tmp_path, cluster):
    path = write(tmp_path, "i.toml", f'[params]\n"{NIS}" = 9\n')
    value = load_scenario(path, cluster).params[NIS]
    assert type(value) is float and value == 9.0


def test_sha256_is_of_the_stored_bytes_even_with_crlf(tmp_path, cluster):
    path = tmp_path / "crlf.toml"
    path.write_bytes(b'name = "crlf"\r\n[params]\r\n"startup rate" = 0.1\r\n')
    s = load_scenario(path, cluster)
    assert s.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert s.params == {"startup rate": 0.1}


# -- extends problems ----------------------------------------------------------------------


def test_circular_extends_is_reported_with_the_cycle(tmp_path, cluster):
    a = write(tmp_path, "a.toml", 'name = "a"\nextends = "b.toml"\n')
    write(tmp_path, "b.toml", 'name = "b"\n\nextends = "a.toml"\n')
    p = only_problem(a, cluster)
    assert p.message == "circular extends: a.toml -> b.toml -> a.toml"
    assert p.file.endswith("b.toml") and p.line == 3
    assert "extends" in p.fix


def test_self_extends(tmp_path, cluster):
    s = write(tmp_path, "self.toml", '# comment\nextends = "self.toml"\n')
    p = only_problem(s, cluster)
    assert p.message == "circular extends: self.toml -> self.toml"
    assert p.line == 2


def test_missing_extends(tmp_path, cluster):
    s = write(tmp_path, "orphan.toml", 'name = "orphan"\nextends = "nowhere.toml"\n')
    p = only_problem(s, cluster)
    assert p.message == "extends a missing file: nowhere.toml"
    assert (p.file, p.line) == (str(s), 2)


def test_problems_in_a_parent_are_reported_with_the_parent_file(tmp_path, cluster):
    write(tmp_path, "parent.toml", '[params]\n"startup rate" = 9\n')
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n[params]\n"Firms" = 1\n')
    probs = problems_of(child, cluster)
    assert [(Path(p.file).name, p.line) for p in probs] == [("parent.toml", 2), ("child.toml", 3)]


# -- malformed files, keys and types -------------------------------------------------------


def test_malformed_toml_reports_the_line(tmp_path, cluster):
    s = write(
        tmp_path,
        "broken.toml",
        """
        name = "broken"
        [params]
        "startup rate" = 0.1
        "imitation coefficient" = = 0.4
    """,
    )
    p = only_problem(s, cluster)
    assert p.line == 4
    assert p.message.startswith("malformed TOML: ")
    assert "line" not in p.message  # the line is in Problem.line, not repeated
    assert p.fix
    assert str(p).startswith(f"{s}:4: malformed TOML")


def test_unknown_top_level_key_with_suggestion(tmp_path, cluster):
    s = write(tmp_path, "k.toml", 'description = "x"\nnmae = "typo"\n[parms]\n')
    probs = problems_of(s, cluster)
    assert [(p.line, p.message) for p in probs] == [
        (2, "unknown key 'nmae'"),
        (3, "unknown key 'parms'"),
    ]
    assert probs[0].fix == "did you mean 'name'?"
    assert probs[1].fix == "did you mean 'params'?"


@pytest.mark.parametrize(
    ("value", "kind"),
    [('"0.5"', "str '0.5'"), ("true", "bool True"), ("[0.1, 0.2]", "list [0.1, 0.2]")],
)
def test_wrong_value_types(tmp_path, cluster, value, kind):
    s = write(tmp_path, "t.toml", f'[params]\n"startup rate" = {value}\n')
    p = only_problem(s, cluster)
    assert p.message == f"'startup rate' needs a number, got {kind}"
    assert p.line == 2
    assert p.fix == "write a number, e.g. 0.12"


def test_wrong_types_of_top_level_keys(tmp_path, cluster):
    s = write(tmp_path, "t.toml", "name = 5\ndescription = true\nparams = 3\n")
    msgs = [(p.line, p.message) for p in problems_of(s, cluster)]
    assert msgs == [
        (1, "'name' must be a string"),
        (2, "'description' must be a string"),
        (3, "[params] must be a table"),
    ]


def test_unknown_name_with_closest_names_and_line(tmp_path, cluster):
    s = write(
        tmp_path,
        "u.toml",
        """
        name = "u"

        [params]
        "startup rate" = 0.1
        "networking intensity" = 0.5
    """,
    )
    p = only_problem(s, cluster)
    assert p.line == 5
    assert p.message == "'networking intensity' is not a constant of cluster_lifecycle.mdl"
    assert p.fix.startswith("did you mean ")
    assert f"'{NII}'" in p.fix


def test_not_a_constant_uses_model_spelling(tmp_path, cluster):
    s = write(tmp_path, "nc.toml", '[params]\n"trust" = 0.5\nmember_share = 0.5\n')
    p1, p2 = problems_of(s, cluster)
    assert (p1.line, p1.message) == (
        2,
        "'Trust' is a stock computed by cluster_lifecycle.mdl, not a constant",
    )
    assert (p2.line, p2.message) == (
        3,
        "'Member Share' is an auxiliary computed by cluster_lifecycle.mdl, not a constant",
    )
    assert "constants it depends on" in p1.fix


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "inf"])
def test_out_of_range(tmp_path, cluster, value):
    s = write(tmp_path, "r.toml", f'[params]\n"{NII}" = {value}\n')
    p = only_problem(s, cluster)
    assert p.line == 2
    assert p.message.startswith(f"'{NII}' = ")
    assert p.message.endswith("is outside the model's range [0, 1]")
    assert p.fix == "choose a value inside the range"


def test_range_bounds_are_inclusive(tmp_path, cluster):
    s = write(tmp_path, "b.toml", f'[params]\n"{NII}" = 1\n"{NIS}" = 0\n')
    assert load_scenario(s, cluster).params == {NII: 1.0, NIS: 0.0}


def test_simulation_settings_are_not_parameters(tmp_path, cluster):
    s = write(tmp_path, "ft.toml", '[params]\n"FINAL TIME" = 20\ntime_step = 0.5\n')
    p1, p2 = problems_of(s, cluster)
    assert p1.line == 2 and "'FINAL TIME' is a simulation setting" in p1.message
    assert "final_time in the scenario's [run] table" in p1.fix
    assert p2.line == 3 and "'TIME STEP' is a simulation setting" in p2.message


def test_line_numbers_of_params_entries(tmp_path, cluster):
    # the same key in [run] above must not be taken for the [params] entry
    s = write(
        tmp_path,
        "lines.toml",
        """
        # a comment
        name = "lines"
        [run]
        final_time = 40

        [params]
        # comment between entries
        "startup rate" = 0.1
        "imitation coefficient"=9
        'initial trust' = 2
          "leaving rate"   =   -1
        final_time = 3
    """,
    )
    got = sorted((p.line, p.message.split("'")[1]) for p in problems_of(s, cluster))
    assert got == [
        (9, "imitation coefficient"),
        (10, "initial trust"),
        (11, "leaving rate"),
        (12, "FINAL TIME"),
    ]


def test_missing_model_file(tmp_path, cluster):
    s = write(tmp_path, "m.toml", 'name = "m"\nmodel = "../models/nothere.mdl"\n')
    p = only_problem(s, None)
    assert p.message == "model file not found: ../models/nothere.mdl"
    assert p.line == 2
    assert "relative to the scenario file" in p.fix


def test_model_key_selects_the_model_relative_to_the_file(tmp_path):
    rel = os.path.relpath(NAN_MODEL, tmp_path)  # resolved from the scenario's folder
    s = write(tmp_path, "m.toml", f'model = "{rel}"\n[params]\nfail_time = 7\n')
    scen = load_scenario(s)
    assert scen.params == {"Fail Time": 7.0}
    assert scen.model_path.resolve() == NAN_MODEL.resolve()


def test_model_key_conflicting_with_the_given_model(tmp_path, cluster):
    s = write(tmp_path, "m.toml", f'model = "{NAN_MODEL}"\n')
    p = only_problem(s, cluster)
    assert p.line == 1
    assert p.message == "scenario is for cli_nan.mdl but the run uses cluster_lifecycle.mdl"


def test_scenario_file_not_found(tmp_path, cluster):
    p = only_problem(tmp_path / "absent.toml", cluster)
    assert p.message == "scenario file not found"
    assert p.line is None and ".toml or .cin" in p.fix


# -- several files, duplicates -------------------------------------------------------------


def test_all_problems_in_all_files_at_once(tmp_path, cluster):
    one = write(tmp_path, "one.toml", '[params]\n"startup rate" = 5\n"firms" = 1\n')
    two = write(tmp_path, "two.toml", "name = \n")
    three = write(tmp_path, "three.cin", "nosuchthing = 1\n")
    good = write(tmp_path, "good.toml", "")
    probs = problems_of([one, good, two, three], cluster)
    assert [(Path(p.file).name, p.line) for p in probs] == [
        ("one.toml", 2),
        ("one.toml", 3),
        ("two.toml", 1),
        ("three.cin", 1),
    ]
    text = str(ScenarioError(probs))
    assert text.count("\n") == 3


def test_duplicate_scenario_names(tmp_path, cluster):
    a = write(tmp_path, "a.toml", 'name = "same"\n')
    b = write(tmp_path, "b.toml", 'name = "same"\n')
    p = only_problem([a, b], cluster)
    assert p.file == str(b)
    assert p.message == f"scenario name 'same' is also used by {a}"
    assert p.fix == "give each scenario its own name"


def test_scenario_error_is_a_lifecycle_error_with_exit_code_2(tmp_path, cluster):
    s = write(tmp_path, "x.toml", "[params]\nx = 1\n")
    with pytest.raises(LifecycleError) as info:
        load_scenario(s, cluster)
    assert isinstance(info.value, ValueError) and info.value.exit_code == 2


# -- Vensim changes files ------------------------------------------------------------------


def test_cin_file_with_comments(tmp_path, cluster):
    cin = write(
        tmp_path,
        "policy.cin",
        """
        {a Vensim changes file
         spread over two lines}
        networking initiative intensity = 0.8
        Networking_Initiative_Start = 6 {inline comment}

        startup rate=0.2
    """,
    )
    s = load_scenario(cin, cluster)
    assert s.name == "policy"
    assert s.params == {NII: 0.8, NIS: 6.0, "startup rate": 0.2}
    assert s.sha256 == hashlib.sha256(cin.read_bytes()).hexdigest()
    assert s.run_settings == {}


def test_cin_problems_with_line_numbers(tmp_path, cluster):
    cin = write(
        tmp_path,
        "bad.cin",
        """
        {comment
        over lines}
        startup rate 0.2
        networking initiative intensity = 3
        = 4
        Firms = 10
        imitation coefficient = abc
        startup rat = 0.1
    """,
    )
    got = [(p.line, p.message) for p in problems_of(cin, cluster)]
    assert got == [
        (3, "malformed line 'startup rate 0.2'"),
        (4, f"'{NII}' = 3 is outside the model's range [0, 1]"),
        (5, "malformed line '= 4'"),
        (6, "'Firms' is an auxiliary computed by cluster_lifecycle.mdl, not a constant"),
        (7, "'imitation coefficient' needs a number, got str 'abc'"),
        (8, "'startup rat' is not a constant of cluster_lifecycle.mdl"),
    ]
    assert all(p.file == str(cin) for p in problems_of(cin, cluster))


def test_cin_file_not_found(tmp_path, cluster):
    p = only_problem(tmp_path / "absent.cin", cluster)
    assert p.message == "changes file not found"


# -- --set assignments: the same checks ----------------------------------------------------


def test_parse_assignments_values_and_names(cluster):
    got = parse_assignments(["Startup_Rate=0.2", f" {NII} = 1 "], cluster)
    assert got == {"startup rate": 0.2, NII: 1.0}


@pytest.mark.parametrize(
    "line",
    [
        '"networking intensity" = 0.5',
        '"firms" = 3',
        f'"{NII}" = 2',
        '"startup rate" = "x"',
        '"FINAL TIME" = 20',
    ],
)
def test_parse_assignments_messages_equal_scenario_file_messages(tmp_path, cluster, line):
    s = write(tmp_path, "s.toml", f"[params]\n{line}\n")
    from_file = only_problem(s, cluster)
    name, value = (part.strip().strip('"') for part in line.split("="))
    with pytest.raises(ScenarioError) as info:
        parse_assignments([f"{name}={value}"], cluster)
    (from_set,) = info.value.problems
    assert (from_set.message, from_set.fix) == (from_file.message, from_file.fix)
    assert (from_set.file, from_set.line) == ("--set", None)


def test_parse_assignments_reports_every_problem(cluster):
    with pytest.raises(ScenarioError) as info:
        parse_assignments(["novalue", "=3", "startup rate=0.1", "startup rate=9"], cluster)
    msgs = [p.message for p in info.value.problems]
    assert msgs == [
        "'novalue' is not NAME=VALUE",
        "'=3' is not NAME=VALUE",
        "'startup rate' = 9 is outside the model's range [0.02, 0.3]",
    ]


def test_one_constant_set_twice_under_two_spellings(tmp_path, cluster):
    path = write(tmp_path, "dup.toml", '[params]\n"startup rate" = 0.1\n"Startup_Rate" = 0.2\n')
    problem = only_problem(path, cluster)
    assert problem.line == 3
    assert "'Startup_Rate' sets 'startup rate' again" in problem.message
    assert "line 2" in problem.message


def test_every_scenario_description_states_its_runs_numbers():
    """The figures in each top-level scenario's description are those of its run (and of the
    runs it compares with), as docs/describe_scenarios.py composes them: a changed constant
    cannot leave a description stating an old number."""
    import tomllib

    from lifecycle import load_model

    from .paths import load_docs_script

    mod = load_docs_script("describe_scenarios")
    made = mod.descriptions(load_model(mod.MODEL))
    assert set(made) == {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    stale = {
        name: text
        for name, text in made.items()
        if tomllib.loads((ROOT / "scenarios" / name).read_text(encoding="utf-8"))["description"]
        != text
    }
    assert not stale, (
        f"stale descriptions (run docs/describe_scenarios.py --write): {sorted(stale)}"
    )

"""The behaviours of DESIGN.md (second edition), read from ``checks/*.toml``, and their knockouts.

Each claim is written once, as a check (``checks/b1_life_cycle.toml`` ... ``b9_wages.toml``,
run by ``lifecycle check checks/``); the first test below runs them all at the model's values.
The knockout tests then remove the mechanism behind a claim (a constant at the end of its
range that switches the loop off) and show that the claim no longer holds, with the numbers
of both runs. Robustness across the plausible ensemble is measured at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecycle.checks import load_checks, run_checks
from lifecycle.stages import stage_sequence
from lifecycle.uncertain import load_uncertain

from .paths import MAIN_MODEL, ROOT, SCENARIOS, load_docs_script

CHECKS = ROOT / "checks"
PLAUSIBLE = ROOT / "scenarios" / "uncertain" / "plausible.toml"
SHOCK_YEAR = 55.0


@pytest.fixture(scope="module")
def checkset():
    return load_checks([CHECKS])


@pytest.fixture(scope="module")
def report(checkset):
    return run_checks(checkset)


def test_every_behaviour_of_design_has_checks(checkset):
    files = {c.file.name for c in checkset.checks} if hasattr(checkset.checks[0], "file") else None
    names = [c.name for c in checkset.checks]
    assert len(names) == len(set(names)) >= 20
    if files is not None:
        assert {f"b{i}" for i in range(1, 10)} <= {f.split("_")[0] for f in files}


def test_every_check_holds_at_the_model_values(report):
    failed = {o.check.name: o.failures() for o in report.outcomes if not o.passed}
    assert failed == {}


# 1 -- take-off, growth, maturity, stagnation -------------------------------------------
def test_baseline_first_years_are_embryonic_for_firms(simulate):
    df = simulate()
    first = stage_sequence(df, "Firms")[0]
    assert first.name == "embryonic" and first.end >= 4.0, first
    # the take-off: the firms' relative growth rate rises over the first 25 years
    firms = df["Firms"]
    g = np.gradient(np.log(firms.to_numpy()), firms.index.to_numpy())
    t = firms.index.to_numpy()
    assert g[t == 25.0][0] > 2 * g[t == 0.5][0]  # 0.095 against 0.039


def test_baseline_first_decade_is_embryonic_for_sme_employment(simulate):
    """The SMEs' jobs, the anchor plant's constant 600 set aside (the xfail below), start
    embryonic and stay so for a decade (10.5 years); with localisation economies saturated
    from the start (half size 100 jobs: no threshold to grow through) for only 4 years: the
    take-off is what keeps them small."""
    base = stage_sequence(simulate(), "SME Employment")[0]
    flat = stage_sequence(simulate({"localisation half size": 100}), "SME Employment")[0]
    assert base.name == flat.name == "embryonic"
    assert base.end >= 10.0 and base.end > 2 * flat.end, (base, flat)


@pytest.mark.xfail(
    strict=True,
    reason="unmet (issue 10): employment starts at 800 jobs (the 600-job plant and eight firms "
    "at 25), 9.6 % of the baseline's 8,340-job peak; SME jobs double in five years as young "
    "firms mature, so the classifier's 10 %-of-peak embryonic level is left within two years. "
    "The plant, staffed from year 0 and constant, is 7.2 % of the peak on its own, leaving the "
    "SMEs 2.8 %: without the size step at maturation (maximum firm size 25) Employment is "
    "still 10.5 % of its peak at year 4 (and reads 'maturity'), and without the plant the "
    "seed fails (peak 329 jobs). No firm-sector structure makes it hold. A plant arriving in "
    "year 2 (embryonic to year 6.5) or ramping up over 3 years (to 5.5) passes this test but "
    "breaks 'joining rises with membership' at the model's values (joining per non-member "
    "0.35 at year 5 against 0.40 at year 40; the check needs 0.53): the seed stagnates without "
    "the plant's localisation economies and the network fills among the survivors first "
    "(session 6, n = 200 screen). Session 7 (n = 400): a plant of 300-400 jobs starts "
    "Employment embryonic (to year 10 at 300) but the seed takes off late (slow decline 0.52-"
    "0.65, joining 0.32-0.57); with localisation half size 1000 as well only behaviour 4's "
    "plant-sized thresholds fail, but that moves an unmeasured constant to pass this test; a "
    "market potential of 30,000-40,000 (embryonic to year 6-10.5) breaks the slow decline "
    "(0.55-0.71). The SMEs' own jobs are embryonic for a decade (the test above)",
)
def test_baseline_first_years_are_embryonic_for_employment(simulate):
    first = stage_sequence(simulate(), "Employment")[0]
    assert first.name == "embryonic" and first.end >= 4.0, first


@pytest.mark.xfail(
    strict=True,
    reason="unmet: in the baseline's maturity (years 60-80) firms turn over at about 7 % a year "
    "((births + exits) / 2 / Firms: 0.068), below the 9 % a year at which Eurostat's "
    "enterprises are born and die; the young-firm hazard of 0.12 is below the 0.30 the survival "
    "data need (see the comment of young firm failure rate). With the sourced 0.30 and hazards "
    "falling with market room the turnover is 0.086, but the slow decline then holds in 65 % "
    "of the plausible runs: births keep renewing knowledge diversity (closing note of issue "
    "10, session 5). Rebuilt in session 7 (hazards lowered by market room, base return "
    "multiple 3.4): turnover 0.085, but the slow decline holds in 0.63 of 1,000 draws over 80 "
    "years (0.86 over 120) and the baseline falls only 8 % by year 80; a referee's review "
    "judged the 120-year restatement a moved goalpost, so it was not merged",
)
def test_turnover_in_maturity_is_the_observed_birth_and_death_rate(simulate):
    """Eurostat (business demography, data of November 2016): births and deaths around 9 % of
    active enterprises a year, in economies where they balance. A mature cluster turns over
    at that rate, within 15 %."""
    df = simulate().loc[60.0:80.0]
    turnover = ((df["Firm Births"] + df["Total Exits"]) / 2 / df["Firms"]).mean()
    assert turnover == pytest.approx(0.09, rel=0.15), turnover


def test_without_localisation_economies_there_is_no_take_off_and_no_failed_emergence(simulate):
    """Knockout: localisation economies saturated at any size (half size 100 jobs)."""
    base, flat = simulate(), simulate({"localisation half size": 100})
    f, k = base["Firms"], flat["Firms"]
    assert f.loc[20] / f.loc[10] > f.loc[10] / f.iloc[0]  # 2.36 > 2.05: take-off
    assert k.loc[20] / k.loc[10] < k.loc[10] / k.iloc[0]  # 2.73 < 8.48: fastest at t = 0
    failed = simulate({"localisation half size": 100}, scenario="failed_emergence.toml")
    assert simulate(scenario="failed_emergence.toml")["Firms"].iloc[-1] < 1.0  # 0.2 firms
    assert failed["Firms"].iloc[-1] > 100  # 252 firms: the small seed takes off


def test_without_convergence_the_cluster_does_not_decline(simulate):
    """Knockout: the slow decline comes from convergence on a thematic core (lock-in)."""
    base, flat = simulate(), simulate({"convergence rate": 0.0})
    assert base["Employment"].iloc[-1] / base["Employment"].max() < 0.95  # 0.845
    assert flat["Employment"].iloc[-1] / flat["Employment"].max() > 0.99  # 1.000


def test_without_a_moving_frontier_the_cluster_does_not_decline(simulate):
    flat = simulate({"frontier growth rate": 0.0})
    assert flat["Employment"].iloc[-1] / flat["Employment"].max() > 0.99  # 1.000


# 3 -- critical mass ---------------------------------------------------------------------
def test_without_value_driven_leaving_the_low_state_is_not_stable(simulate):
    """Knockout: with no leaving, the subcritical cluster accumulates members (0.19 against
    0.0004 at year 80): the low state needs members to leave when value is below cost."""
    sub = simulate(scenario="subcritical_network.toml")
    leak = simulate({"leaving rate": 0.0}, scenario="subcritical_network.toml")
    assert sub["Member Share"].iloc[-1] < 0.01
    assert leak["Member Share"].iloc[-1] > 0.05


def test_without_imitation_the_network_never_forms(simulate):
    """Knockout: with no imitation term the baseline network dies (0.85 -> 0.00)."""
    assert simulate()["Member Share"].iloc[-1] > 0.7
    assert simulate({"imitation coefficient": 0.0})["Member Share"].iloc[-1] < 0.05


def test_if_trust_were_built_within_a_year_a_six_month_forum_would_tip(simulate):
    """Knockout of "trust takes years": at trust building rate 1/yr the six-month forum that
    fails at 0.3/yr tips the subcritical cluster (member share 0.87 at year 80)."""
    six = {
        "networking initiative intensity": 1,
        "networking initiative start": 10,
        "networking initiative duration": 0.5,
    }
    slow = simulate(six, scenario="subcritical_network.toml")
    fast = simulate({**six, "trust building rate": 1.0}, scenario="subcritical_network.toml")
    assert slow["Member Share"].iloc[-1] < 0.01
    assert fast["Member Share"].iloc[-1] > 0.5


def test_the_forum_threshold_needs_years(simulate):
    """The threshold of intensity x duration: at full intensity 3 years fail, 4 tip."""
    out = {}
    for years in (3.0, 4.0):
        df = simulate(
            {
                "networking initiative intensity": 1,
                "networking initiative start": 10,
                "networking initiative duration": years,
            },
            scenario="subcritical_network.toml",
        )
        out[years] = df["Member Share"].iloc[-1]
    assert out[3.0] < 0.2 and out[4.0] > 0.5, out


# 4 -- the ambivalent large firm ---------------------------------------------------------
def test_without_customer_push_the_large_firm_does_not_speed_upgrading(simulate):
    years = slice(5, 30)
    no_lf = simulate(scenario="contrasts/no_large_firm.toml")["Relative Technology"]
    base = simulate()["Relative Technology"]
    push0 = simulate({"large customer push rate": 0.0})["Relative Technology"]
    assert base.loc[years].mean() - no_lf.loc[years].mean() > 0.05  # 0.081
    assert push0.loc[years].mean() - no_lf.loc[years].mean() < base.loc[years].mean() - 0.05


def test_without_trust_erosion_the_large_firm_does_not_lower_trust(simulate):
    no_lf = simulate(scenario="contrasts/no_large_firm.toml")["Trust"].loc[20]
    erosion0 = simulate({"large firm trust erosion": 0.0})["Trust"].loc[20]
    assert simulate()["Trust"].loc[20] < no_lf - 0.05  # 0.72 against 0.88
    assert erosion0 > no_lf - 0.05  # 0.86: the other channels give 0.024


def test_without_leavers_founding_firms_there_is_no_spinoff_burst(simulate):
    burst = simulate(scenario="large_firm_exit.toml")["Layoff Spinoffs"].loc[35:40].max()
    none = simulate({"spinoffs per leaver": 0.0}, scenario="large_firm_exit.toml")
    assert burst > 15  # 17.6 a year; none before the exit
    assert none["Layoff Spinoffs"].max() == 0.0


def _uk_shakeout():
    """UK motor-car makers (data/uk_motor_car_firms_1897_1956.csv): entry per firm-year in the
    shakeout of 1922-1929 over that of 1902-1922 with its exact Poisson 95 % interval, and the
    ratio of the exit rates of the two periods."""
    from scipy.stats import chi2

    df = pd.read_csv(ROOT / "data" / "uk_motor_car_firms_1897_1956.csv").set_index("year")
    n = df["number_of_firms"]

    def rates(a, b):
        years = [y for y in df.index if a < y <= b]
        prev = [max(y for y in df.index if y < x) for x in years]
        fy = sum((n[p] + n[y]) / 2 * (y - p) for p, y in zip(prev, years, strict=True))
        return (
            df.loc[years, "entries_since_previous_date"].sum(),
            df.loc[years, "exits_since_previous_date"].sum() / fy,
            fy,
        )

    e_g, x_g, fy_g = rates(1902, 1922)
    e_s, x_s, fy_s = rates(1922, 1929)
    growth = e_g / fy_g
    low, high = chi2.ppf(0.025, 2 * e_s) / 2 / fy_s, chi2.ppf(0.975, 2 * e_s + 2) / 2 / fy_s
    return (e_s / fy_s / growth, low / growth, high / growth), x_s / x_g


def test_entry_falls_with_the_founders_odds_in_a_crowded_market_as_in_the_uk_shakeout(tmp_path):
    """Entry weighs the opportunity (market room) by the founder's odds of surviving it (1 /
    Exit Pressure). UK motor-car makers entered at 0.13 of their growth years' rate in the
    shakeout of 1922-1929 (interval 0.04-0.30) while exits rose 2.4-fold. In the shocked
    cluster, where the exit pressure passes 2.4, Entry Attractiveness is 0.27 of a balanced
    market's; firms then rise by 9 % after the shock (345 to 372) before falling with the
    jobs. Knockout (a mutant model without the odds): 0.68, outside the data's interval (and
    outside it against the growth years' entry, 1.3-1.8 times a balanced market's), and
    firms rise by 12 % while jobs fall."""
    from lifecycle import load_model, load_scenario, run

    (ratio, low, high), exit_ratio = _uk_shakeout()
    assert 0.1 < ratio < 0.15 and 2.3 < exit_ratio < 2.5  # 0.127 [0.041, 0.306]; 2.44
    text = MAIN_MODEL.read_text(encoding="utf-8")
    odds = "(maximum entry attractiveness - 1 + Perceived Market Room) / Exit Pressure"
    assert text.count(odds) == 1
    mutant = tmp_path / "no_odds.mdl"
    mutant.write_text(text.replace(odds, odds.removesuffix(" / Exit Pressure")), encoding="utf-8")
    shock = load_scenario(SCENARIOS / "disruptive_shock.toml")
    found = {}
    for name, path in (("model", MAIN_MODEL), ("knockout", mutant)):
        df = run(load_model(path), shock)
        after = df.loc[SHOCK_YEAR:]
        t = (after["Exit Pressure"] - exit_ratio).abs().idxmin()
        firms = df["Firms"]
        found[name] = (
            after["Entry Attractiveness"].loc[t],
            firms.loc[SHOCK_YEAR:].max() / firms.loc[SHOCK_YEAR],
        )
    assert low < found["model"][0] < high, found  # 0.27 in [0.04, 0.30]
    assert found["knockout"][0] > high, found  # 0.68
    assert found["knockout"][1] > found["model"][1] + 0.02, found  # 1.12 against 1.09


# 5 -- skilled labour and venture capital ------------------------------------------------
def test_without_venture_backed_firms_halving_capital_costs_nothing(simulate):
    """Knockout: with no firm needing venture capital, halving it changes no birth."""
    kn = {"vc backed share of sti firms": 0.0}
    full = simulate(kn, scenario="science_driven.toml")["Firm Births"].loc[0:60].mean()
    half = simulate(kn, scenario="contrasts/science_driven_venture_capital_halved.toml")
    assert half["Firm Births"].loc[0:60].mean() == pytest.approx(full, rel=1e-9)
    jobs = simulate(kn, scenario="science_driven.toml")["Employment"].loc[0:60].mean()
    assert half["Employment"].loc[0:60].mean() == pytest.approx(jobs, rel=1e-9)


def test_scarce_capital_delays_growth_and_the_market_sets_the_peak(simulate):
    """Why behaviour 5's capital claim is on cumulative employment: with half the venture
    supply the science-driven cluster's jobs over years 0-60 fall by 10 % (4,360 against
    4,870), its peak by 3.7 % only, because at the peak the SMEs' capacity exceeds their
    market (9,980 against 7,860 jobs in year 50): capital binds the growth of capacity."""
    full = simulate(scenario="science_driven.toml")
    half = simulate(scenario="contrasts/science_driven_venture_capital_halved.toml")
    assert half["Employment"].loc[0:60].mean() < 0.95 * full["Employment"].loc[0:60].mean()
    assert half["Employment"].loc[40] < 0.85 * full["Employment"].loc[40]  # 5,950 vs 7,470
    t = full["Employment"].idxmax()
    assert full["Firm Capacity"].loc[t] > full["SME Labour Demand"].loc[t]  # market-bound


# 6 -- managerial training ---------------------------------------------------------------
def _cohort_survival(df):
    mat = df["Spinoff Maturation"].loc[10:30].mean()
    return mat / (mat + df["Spinoff Failures"].loc[10:30].mean())


def test_without_a_managerial_deficit_training_changes_no_survival(simulate):
    trained = _cohort_survival(simulate(scenario="university_spinoffs_with_training.toml"))
    untrained = _cohort_survival(simulate(scenario="university_spinoffs.toml"))
    assert trained - untrained > 0.1  # 0.67 against 0.50
    kn = {"spinoff managerial deficit": 0.0}
    a = _cohort_survival(simulate(kn, scenario="university_spinoffs_with_training.toml"))
    b = _cohort_survival(simulate(kn, scenario="university_spinoffs.toml"))
    assert a == pytest.approx(b, abs=1e-9)


# 7 -- shock, lock-in, renewal -----------------------------------------------------------
def test_without_the_distance_effect_the_shock_does_not_lock_in(simulate):
    """Knockout: with distance elasticity 0 the shocked cluster recovers to 0.66 of its
    pre-shock jobs by year 80 (0.23 with it)."""
    for kn, low in (({}, True), ({"distance elasticity": 0.0}, False)):
        e = simulate(kn, scenario="disruptive_shock.toml")["Employment"]
        ratio = e.iloc[-1] / e.loc[:SHOCK_YEAR].max()
        assert bool(ratio < 0.5) == low, (kn, ratio)


def test_lock_in_ends_as_the_competence_base_re_bases(tmp_path):
    """Lock-in is a long low phase, not an equilibrium. Without response the shocked cluster
    stays below a quarter of its pre-shock jobs to year 80 (1,910 of 8,340), but run on to
    year 120 it recovers to nearly its pre-shock jobs (8,130) on its own: the competence base
    re-bases on the new, low technology over a working life, the distance effect fades and
    local learning returns. Knockout: with the competence base held at the rivals'
    operating point the cluster stays low (about 1,900 jobs at year 120)."""
    from lifecycle import load_model, load_scenario, run

    text = MAIN_MODEL.read_text(encoding="utf-8")
    memory = "SMOOTHI(Relative Technology, working life, Rival Relative Technology)"
    assert text.count(memory) == 1
    mutant = tmp_path / "held_competence_base.mdl"
    mutant.write_text(text.replace(memory, "Rival Relative Technology"), encoding="utf-8")
    shock = load_scenario(SCENARIOS / "disruptive_shock.toml")
    for path, recovers in ((MAIN_MODEL, True), (mutant, False)):
        e = run(load_model(path), shock, final_time=120)["Employment"]
        before = e.loc[:SHOCK_YEAR].max()
        assert e.loc[80] < 0.25 * before, (path.name, e.loc[80], before)
        assert bool(e.loc[120] > 0.9 * before) == recovers, (path.name, e.loc[120], before)
        if not recovers:
            assert e.loc[120] < 0.3 * before, (path.name, e.loc[120], before)


LEVERS = {
    "spin-offs and training": ("university spinoff support", "managerial training"),
    "public venture capital": ("public venture coinvestment",),
    "extra-regional links": ("global linkage support",),
    "skills": ("education expansion", "talent attraction"),
}


def test_each_renewal_lever_measured(cluster, simulate):
    """Each lever's share of the recovery (employment at year 80 over the shocked run).

    The package recovers 5,680 jobs (1,910 -> 7,590 at year 80). Taking one lever out of the
    package costs 97 % of the gain (extra-regional links: the only channel that technological
    distance does not limit), 14 % (skills), 5 % (venture capital), 2 % (spin-offs and
    training); alone, the links recover 83 % and each other lever 0.5-1 %.
    """
    shock = simulate(scenario="disruptive_shock.toml")["Employment"].iloc[-1]
    full = simulate(scenario="shock_with_renewal.toml")["Employment"].iloc[-1]
    assert full > 2.5 * shock
    from lifecycle import load_scenario

    package = dict(load_scenario(SCENARIOS / "shock_with_renewal.toml", cluster).params)
    without = {}
    for lever, names in LEVERS.items():
        params = dict(package)
        for n in names:
            params[n] = 0.0
        without[lever] = (full - simulate(params)["Employment"].iloc[-1]) / (full - shock)
    assert without["extra-regional links"] > 0.9
    assert 0.1 < without["skills"] < 0.5
    assert all(v > 0 for v in without.values()), without


def test_after_the_package_ends_the_recovery_continues(simulate):
    e = simulate(scenario="shock_with_renewal.toml")["Employment"]
    assert e.iloc[-1] > e.loc[77.0]  # package years 57-77; employment still rising at 80


# 9 -- wages -----------------------------------------------------------------------------
def test_without_price_competition_the_wage_hardly_matters_for_the_shock(simulate):
    """The wage acts through unit labour cost: with price elasticity at its lower end the
    shock's cost differs by 0.45 points between wages 0.8 and 1.6 (1.45 points at 1)."""

    def loss(kn, wage):
        shocked = simulate({**kn, "relative wage level": wage}, scenario="disruptive_shock.toml")
        base = simulate({**kn, "relative wage level": wage})
        return 1 - shocked["Employment"].loc[55:80].mean() / base["Employment"].loc[55:80].mean()

    gap = loss({}, 1.6) - loss({}, 0.8)
    gap_low = loss({"price elasticity": 0.2}, 1.6) - loss({"price elasticity": 0.2}, 0.8)
    assert gap > 0.008
    assert gap_low < 0.5 * gap


# robustness -----------------------------------------------------------------------------
#: Checks that hold in fewer than 80 % of the plausible ensemble at n = 200 (seed 1234), with
#: the share measured when this list was written; see the closing note of issue 10.
BELOW_TARGET: dict[str, float] = {}


@pytest.fixture(scope="module")
def robustness(checkset):
    spec = load_uncertain(PLAUSIBLE, checkset.model)
    return {o.check.name: o.share for o in run_checks(checkset, spec=spec, n=200).outcomes}


def test_plausible_ensemble_varies_every_behavioural_constant(checkset):
    from lifecycle.params import params_frame

    spec = load_uncertain(PLAUSIBLE, checkset.model)
    df = params_frame(checkset.model)
    assert set(spec.names) == set(df.loc[df["class"] != "lever", "name"])


ISSUE_SPREAD = 0.25  # issue 10: every behavioural constant within +-25 % of its value


def test_plausible_ranges_are_the_issues_25_percent_clipped_to_each_range(checkset):
    """Independent of docs/make_plausible.py: each sampled range is the default times 0.75
    and 1.25, clipped to the constant's [min,max] range, to 6 significant digits."""
    import tomllib

    from lifecycle.params import params_frame

    ranges = tomllib.loads(PLAUSIBLE.read_text(encoding="utf-8"))["uncertain"]
    df = params_frame(checkset.model)
    for _, r in df[df["class"] != "lever"].iterrows():
        v = float(r["default"])
        lo, hi = sorted((v * (1 - ISSUE_SPREAD), v * (1 + ISSUE_SPREAD)))
        if r["min"] is not None and r["min"] == r["min"]:
            lo = max(lo, float(r["min"]))
        if r["max"] is not None and r["max"] == r["max"]:
            hi = min(hi, float(r["max"]))
        got = ranges[r["name"]]
        assert got["dist"] == "uniform", r["name"]
        assert got["min"] == pytest.approx(lo, rel=1e-5), r["name"]
        assert got["max"] == pytest.approx(hi, rel=1e-5), r["name"]


def test_plausible_ensemble_is_written_from_the_current_defaults(checkset):
    """The shipped file is what docs/make_plausible.py writes from the model as it is now: a
    changed default without a regenerated file would measure robustness around an old value."""
    mod = load_docs_script("make_plausible")
    shipped = PLAUSIBLE.read_text(encoding="utf-8")
    assert shipped == mod.text(checkset.model), "stale: run docs/make_plausible.py"


def test_network_forms_in_ninety_percent_of_plausible_baselines(robustness):
    assert robustness["network forms"] >= 0.9


def test_behaviours_hold_in_eighty_percent_of_the_plausible_ensemble(robustness):
    low = {k: v for k, v in robustness.items() if v < 0.8 and k not in BELOW_TARGET}
    assert low == {}


@pytest.mark.parametrize("name", sorted(BELOW_TARGET))
def test_known_fragile_behaviours_are_still_below_target(robustness, name):
    """Honest record of the claims that do not yet reach 80 %: this fails (and the entry must
    leave BELOW_TARGET) as soon as the structure makes the claim robust."""
    assert robustness[name] < 0.8, f"{name} now holds in {robustness[name]:.0%}: update"

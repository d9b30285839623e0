"""Where the model's constants come from: each comment's class is backed by what it cites.

The developers' standard: every behavioural constant is sourced (a paper or data set, with a
year), calibrated (naming the data file it was fitted to and the script that fitted it) or
an assumption with its reason. Issue 10 asks for at least 40 % sourced or calibrated. The
counts are read from the model through ``lifecycle.params`` (the comment's first word), so
relabelling a constant changes them, and a relabelled comment without a year (``Source:``)
or without its data and script (``Calibrated:``) fails here.

The data-based conversions stated in the comments are recomputed by
``docs/calibrate_constants.py`` from the files in ``data/``; the tests below check the
model's values against them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from lifecycle.params import params_frame

from .paths import load_docs_script

ROOT = Path(__file__).resolve().parents[1]
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
DATA_FILE = re.compile(r"(?:\.\./shared/)?data/[\w./-]+?\.(?:csv|tsv|json|txt)")
SCRIPT = re.compile(r"\b(?:docs|examples)/[\w./-]+?\.py\b")
TARGET = 0.40  # issue 10: at least 40 % of behavioural constants sourced or calibrated


def _evidence_module():
    return load_docs_script("calibrate_constants")


def behavioural(model):
    df = params_frame(model)
    return df[df["class"] != "lever"]


def problems(cls: str, comment: str) -> list[str]:
    """What a comment of class ``cls`` lacks: ``Source:`` a year; ``Calibrated:`` a data file
    and the script that fitted it; ``Assumption:`` a reason (some words after the prefix)."""
    body = comment.split(":", 1)[1] if ":" in comment else ""
    out = []
    if cls == "source" and not YEAR.search(body):
        out.append("a Source: comment names no year")
    if cls == "calibrated":
        if not DATA_FILE.search(body):
            out.append("a Calibrated: comment names no data file (data/...)")
        if not SCRIPT.search(body):
            out.append("a Calibrated: comment names no script (docs/... or examples/...py)")
    if cls == "assumption" and len(body.split()) < 5:
        out.append("an Assumption: comment gives no reason")
    return out


def test_the_checks_catch_a_relabelled_constant():
    """Each rule fails on the comment a careless relabelling would leave."""
    assert problems("source", "Source: the literature says so.")
    assert problems("calibrated", "Calibrated: fitted to the data, R2 0.9.")
    assert problems("calibrated", "Calibrated: data/uk_motor_car_firms_1897_1956.csv, R2 0.9")
    assert problems("assumption", "Assumption: a guess.")
    assert not problems("source", "Source: Jones (2016), Handbook of Macroeconomics 2A.")
    assert not problems(
        "calibrated", "Calibrated: data/x.csv by docs/calibrate_constants.py, R2 0.9 (5 points)"
    )


def test_every_behavioural_comment_carries_what_its_class_needs(cluster):
    df = behavioural(cluster)
    bad = {r["name"]: problems(r["class"], r["comment"]) for _, r in df.iterrows()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


def test_every_data_file_a_comment_names_exists(cluster, request):
    """A comment that names ``data/...`` names a file shipped in the repo; one that names
    ``../shared/data/...`` a file of the shared folder (skipped where it is absent, a
    failure under CI=true), and every script it names exists."""
    df = params_frame(cluster)
    shared_needed = False
    for _, r in df.iterrows():
        for path in DATA_FILE.findall(r["comment"]):
            if path.startswith("../shared/"):
                shared_needed = True
                continue
            assert (ROOT / path).is_file(), (r["name"], path)
        for script in SCRIPT.findall(r["comment"]):
            assert (ROOT / script).is_file(), (r["name"], script)
    if shared_needed:
        shared = request.getfixturevalue("shared_dir")
        for _, r in df.iterrows():
            for path in DATA_FILE.findall(r["comment"]):
                if path.startswith("../shared/"):
                    assert (shared / path.removeprefix("../shared/")).is_file(), (r["name"], path)


_SHARE_NOTE = (
    "issue 10's 40 % target is not met: 17 of 60 behavioural constants (28 %) are sourced and "
    "none calibrated. Two referee audits (session 7) returned eight Source labels to Assumption "
    "because the evidence measures another quantity than the equations use or does not carry "
    "the value (holding period, leaving rate, education capacity, price elasticity, fund life, "
    "capital per venture, university spin-off base rate, perception time). The values the data "
    "support where the model differs (young-firm hazard 0.30 from the cohort fit, maximum "
    "entry attractiveness 3.3 from the UK record, Bass p 0.03, outmigration 0.5 from Blanchard "
    "and Katz 1992, firm in-migration 0.002-0.005 from Dutch relocations) break behaviour "
    "checks or their robustness (closing notes of issue 10, sessions 4, 5 and 7). Session 8 "
    "searched the stored corpora for 25 assumptions, most not searched before (learning rates, "
    "distance and technology elasticities, mode contrast, diversity, trust and network "
    "constants, sizes, localisation, market potential, spin-off deficit): none carried, a few "
    "bounded (the established/young size ratio 1.6-3.6 against 2.4; market potential about "
    "21,000 jobs a European cluster), and the spin-off evidence splits on sign; with the "
    "cohort's hazard 0.30 and the UK record's entry (maximum entry attractiveness 3), all 25 "
    "checks hold at the model's values but the slow decline holds in 0.50 of 400 draws. "
    "docs/identifiability.py finds no pair of constants that the scenarios cannot tell apart, "
    "so no merge lowers the count; strict, so it fails once the target is reached"
)


@pytest.mark.xfail(strict=True, reason=_SHARE_NOTE)
def test_at_least_forty_percent_sourced_or_calibrated(cluster):
    df = behavioural(cluster)
    share = df["class"].isin(["source", "calibrated"]).mean()
    assert share >= TARGET, f"{share:.0%} of {len(df)} behavioural constants"


# --- the data-based values against the conversions of docs/calibrate_constants.py ----------


@pytest.fixture(scope="module")
def evidence():
    return _evidence_module()


def test_regional_venture_supply_is_the_nsf_conversion(cluster, evidence):
    """EU27 venture investment 2010-2019 per NUTS-2 region, a quarter of it for the cluster."""
    vc = evidence.regional_venture_supply()
    assert vc["eu27_mean"] == pytest.approx(10429.8)
    assert cluster.parameters["regional venture supply"].default == pytest.approx(
        vc["cluster"], rel=0.01
    )


def test_maximum_exit_multiplier_is_at_least_the_uk_shakeout(cluster, evidence):
    """62 exits in 416 firm-years of 1922-1929 are 3.7 times the 0.04 base: a lower bound."""
    shake = evidence.uk_rates(1922, 1929)
    assert (shake["exits"], round(shake["firm_years"], 1)) == (62.0, 416.5)
    bound = shake["exit_rate"] / cluster.parameters["established exit rate"].default
    assert bound == pytest.approx(3.72, abs=0.01)
    assert cluster.parameters["maximum exit multiplier"].default >= bound


def test_established_exit_rate_lies_between_the_uk_and_eurostat_figures(cluster, evidence):
    low = evidence.uk_rates(1933, 1956)["exit_rate"]  # 12 exits in 512 firm-years
    high = evidence.eurostat_established_exit_rate()
    assert low == pytest.approx(0.0234, abs=5e-4) and high == pytest.approx(0.056, abs=1e-3)
    assert low < cluster.parameters["established exit rate"].default < high


def test_relative_wage_level_is_the_swedish_labour_cost_over_the_eu_average(cluster, evidence):
    """36.6 / 27.4 euro an hour (2018): the lower end of the Nordic 1.34-1.59."""
    ratio = evidence.relative_labour_cost()
    assert (round(ratio["Sweden"], 2), round(ratio["Denmark"], 2)) == (1.34, 1.59)
    assert cluster.parameters["relative wage level"].default == pytest.approx(
        ratio["Sweden"], abs=0.005
    )


def test_startup_rate_times_localisation_is_the_observed_birth_rate(cluster, evidence):
    """0.12 x the Localisation Effect at 6,000-10,000 jobs is within the UK growth years'
    0.095 and Eurostat's 9 % a year, +-15 %."""
    rate = cluster.parameters["startup rate"].default
    half = cluster.parameters["localisation half size"].default
    observed = evidence.uk_rates(1902, 1922)["entry_rate"]
    for jobs in (6000.0, 10000.0):
        effective = rate * jobs / (jobs + half)
        assert effective == pytest.approx(observed, rel=0.15)
        assert effective == pytest.approx(evidence.EUROSTAT_BIRTH_DEATH_RATE, rel=0.15)


@pytest.mark.skipif(os.environ.get("LIFECYCLE_SKIP_FITS") == "1", reason="fits skipped")
def test_young_firm_failure_rate_comment_states_the_cohort_fit(cluster, evidence):
    """In the model's own cohort Eurostat's survival needs a young-firm hazard of about 0.30
    (0.25-0.35), far above the model's value: the comment says so and stays an Assumption
    until the value or the structure follows the data."""
    fit = evidence.young_hazard_fit()
    h = fit.params["young firm failure rate"]
    ((low, high),) = fit.ci.values()
    assert h == pytest.approx(0.30, abs=0.01) and 0.2 < low < high < 0.4
    assert fit.r2["Firms"] > 0.95
    bls = evidence.young_hazard_fit(evidence.BLS_SURVIVAL).params["young firm failure rate"]
    assert bls == pytest.approx(0.33, abs=0.01)
    param = cluster.parameters["young firm failure rate"]
    comment = param.comment
    if param.default < low or param.default > high:
        assert comment.startswith("Assumption:")
        assert f"{h:.2f}" in comment and f"{bls:.2f}" in comment


def test_young_hazard_of_an_empty_market_is_far_below_the_balanced_one(cluster, evidence):
    """Eurostat's and the BLS's survival are of economies where births balance deaths (a
    balanced market). In the UK motor record's nearly empty market of 1897-1902 (46 entries
    to the 9 firms of 1897) 5 firms exited in 147.5 firm-years: 0.034 a year, exact Poisson
    95 % interval 0.011-0.079, below both the cohort fit (0.30) and the model's 0.12. So one
    constant hazard cannot be both; the comment states the record and the room-dependent
    structure that was measured and not adopted."""
    from scipy.stats import chi2

    empty = evidence.uk_rates(1897, 1902)
    assert (empty["entries"], empty["exits"], empty["firm_years"]) == (46, 5, 147.5)
    k, fy = empty["exits"], empty["firm_years"]
    low, high = chi2.ppf(0.025, 2 * k) / 2 / fy, chi2.ppf(0.975, 2 * k + 2) / 2 / fy
    assert (round(low, 3), round(empty["exit_rate"], 3), round(high, 3)) == (0.011, 0.034, 0.079)
    param = cluster.parameters["young firm failure rate"]
    assert high < min(param.default, 0.30)
    comment = " ".join(param.comment.split())
    assert "0.034 a year" in comment and "0.011-0.079" in comment
    assert "data/uk_motor_car_firms_1897_1956.csv" in comment
    names = [name for name, _, _ in evidence.evidence()]
    assert names.count("young firm failure rate") == 2


@pytest.mark.skipif(os.environ.get("LIFECYCLE_SKIP_FITS") == "1", reason="fits skipped")
def test_membership_data_cannot_identify_the_imitation_coefficient(evidence):
    """The claim in the comment of `imitation coefficient`: five Medicon Valley points do not
    tell q apart from p, so the sourced 0.38 is neither confirmed nor contradicted."""
    fit = evidence.bass_fit_membership()
    low, high = fit.ci["imitation coefficient"]
    assert low <= 0.38 <= high and high - low > 1.0
    assert fit.r2["Adopters"] > 0.9


def test_every_data_file_has_its_row_in_sources():
    """data/SOURCES.md names every file shipped in data/ (where it came from, what uses it)."""
    listed = (ROOT / "data" / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in (ROOT / "data").iterdir() if p.suffix in {".csv", ".tsv"})
    assert files and [f for f in files if f"| {f} |" not in listed] == []


def test_spontaneous_recruitment_is_the_low_end_of_the_published_bass_p(cluster, evidence):
    """Bass p averages 0.03 and is often below 0.01 (Mahajan, Muller and Bass 1995): the model
    takes 0.01, the low end, and its comment names both figures and the source's year."""
    param = cluster.parameters["spontaneous recruitment"]
    assert param.default == pytest.approx(evidence.BASS_P["often_below"])
    assert param.default < evidence.BASS_P["mean"]
    # an Assumption, not a Source: the value is a judgement inside the span, the region's own
    # fit (Medicon Valley, below) excludes it, and the mean would change tested behaviours
    assert param.comment.startswith("Assumption:")
    assert all(s in param.comment for s in ("0.03", "0.01", "1995"))


@pytest.mark.skipif(os.environ.get("LIFECYCLE_SKIP_FITS") == "1", reason="fits skipped")
def test_medicon_valley_p_at_the_sourced_q_is_what_the_comment_says(cluster, evidence):
    """With q held at 0.38 the five Medicon Valley points give p = 0.054 (0.02-0.51), above
    the model's 0.01: the comment states it and why (a funded initiative's recruitment)."""
    fit = evidence.bass_fit_membership(fix_q=0.38)
    p = fit.params["innovation coefficient"]
    low, high = fit.ci["innovation coefficient"]
    assert p == pytest.approx(0.054, abs=0.001) and fit.r2["Adopters"] > 0.9
    assert (round(low, 2), round(high, 2)) == (0.02, 0.51)
    comment = cluster.parameters["spontaneous recruitment"].comment
    assert "p = 0.054" in comment and "0.02-0.51" in comment and "initiative" in comment


def test_spinoffs_per_leaver_is_the_bridge_ratio(cluster, evidence):
    """About 1,000 Bridge firms among more than 18,000 leavers (0.056); Oulu's 400 start-ups
    per 4,500 ICT jobs lost (0.089) include founders of every origin, so they lie above."""
    spin = evidence.spinoffs_per_leaver()
    assert (spin["bridge_firms"], spin["bridge_offered"]) == (1000.0, 18000.0)
    assert (spin["oulu_startups"], spin["oulu_jobs_lost"]) == (400.0, 4500.0)
    value = cluster.parameters["spinoffs per leaver"].default
    assert value == pytest.approx(spin["bridge"], abs=5e-4)
    assert value < spin["oulu"] == pytest.approx(0.089, abs=5e-4)


def test_local_purchases_lie_in_the_nokia_subcontractor_span(cluster, evidence):
    """18,000-20,000 first-tier subcontractor jobs per 24,500 Nokia jobs in Finland (2001)."""
    sup = evidence.supplier_jobs_per_large_firm_job()
    assert sup["nokia"] == 24500.0
    assert (round(sup["low"], 2), round(sup["high"], 2)) == (0.73, 0.82)
    value = cluster.parameters["local purchases per large firm job"].default
    assert sup["low"] <= value <= sup["high"]


# --- model-run claims in constants' comments -------------------------------------------


def test_at_the_mean_bass_p_a_weak_forum_tips_the_subcritical_cluster(cluster, simulate):
    """The comment of `spontaneous recruitment`: the threshold rests on a low p. At 0.01 the
    weak forum fails (Member Share < 0.01 at year 80); at the published mean 0.03 it tips."""
    assert "weak_forum.toml" in cluster.parameters["spontaneous recruitment"].comment
    low = simulate(scenario="weak_forum.toml")["Member Share"].iloc[-1]
    mean = simulate({"spontaneous recruitment": 0.03}, scenario="weak_forum.toml")
    assert low < 0.01 < 0.5 < mean["Member Share"].iloc[-1]


def test_the_start_has_twice_the_workers_it_needs_and_a_depressed_wage(cluster, simulate):
    """The comment of `initial skilled workers`: 47 % of the pool starts without a cluster
    job; the wage stays more than 10 % below its level over years 2-20, and unemployment
    first falls below 5 % in the third decade."""
    run = simulate()
    t = run.index.to_numpy()
    u, w = run["Unemployment Rate"].to_numpy(), run["Relative Wage"].to_numpy()
    assert u[0] == pytest.approx(0.467, abs=0.001)
    level = cluster.parameters["relative wage level"].default
    assert w[(t >= 2) & (t <= 20)].max() < 0.9 * level
    assert 20 <= t[np.argmax(u < 0.05)] < 30


def test_the_mature_baselines_unemployment_stays_above_normal(cluster, simulate):
    """The comment of `outmigration rate`: unemployment does not return to normal, more than
    twice the normal rate from year 60 on (10.7 % at year 80), because graduates, about
    twice the mature cluster's retirements, stay in proportion to jobs per worker and the
    surplus leaves only through outmigration. At Blanchard and Katz's 0.5 it is 6.7 %;
    with education capacity halved to 200 (about the retirements), 3.7 %, near normal."""
    run = simulate()
    normal = cluster.parameters["normal unemployment rate"].default
    late = run.loc[run.index >= 60, "Unemployment Rate"]
    assert late.min() > 2 * normal
    u80 = run["Unemployment Rate"].iloc[-1]
    graduates = run["Graduation"].iloc[-1]
    retiring = run["Retirement"].iloc[-1]
    assert u80 == pytest.approx(0.107, abs=0.003)
    assert graduates == pytest.approx(400) and 1.9 < graduates / retiring < 2.1
    assert run["Graduate Retention"].iloc[-1] == pytest.approx(
        graduates * run["Job Availability"].iloc[-1]
    )
    fast = simulate({"outmigration rate": 0.5})["Unemployment Rate"].iloc[-1]
    fewer = simulate({"education capacity": 200.0})["Unemployment Rate"].iloc[-1]
    assert fast == pytest.approx(0.067, abs=0.003)
    assert fewer == pytest.approx(0.037, abs=0.003) and fewer < 1.25 * normal
    comment = cluster.parameters["outmigration rate"].comment
    assert comment.startswith("Assumption:")
    assert all(s in comment for s in ("10.7 %", "6.7 %", "3.7 %", "education capacity 200"))


def test_retention_tied_to_open_jobs_narrows_but_does_not_close_the_gap(tmp_path):
    """The diagnosis, by a mutant: graduates staying only in proportion to the odds of a job
    (normal over actual unemployment: openings shared among job seekers) instead of jobs per
    worker lowers year-80 unemployment from 10.7 % to 6.5 %; the rest is the surplus leaving
    through outmigration at 0.25 a year. (Not adopted: the wage claim's robustness falls to
    0.768 of 1,000 draws, 0.721 with outmigration at 0.5; closing note of issue 10, session 5.)"""
    from lifecycle import load_model, run

    text = (ROOT / "models" / "cluster_lifecycle.mdl").read_text(encoding="utf-8")
    retention = "Graduation * Job Availability"
    assert text.count(retention) == 1
    mutant = tmp_path / "retention_by_odds.mdl"
    odds = "Graduation * MIN(1, XIDZ(normal unemployment rate, Unemployment Rate, 1))"
    mutant.write_text(text.replace(retention, odds), encoding="utf-8")
    u80 = run(load_model(mutant))["Unemployment Rate"].iloc[-1]
    assert u80 == pytest.approx(0.065, abs=0.003)


def test_outmigration_rate_comment_states_the_blanchard_katz_conversion(cluster, evidence):
    """Five to seven years to normal, 95 % of the excess gone in three time constants:
    0.43-0.60 a year (0.5 at six). The model's 0.25 lies below; the comment says so and
    why it stays an assumption."""
    bk = evidence.outmigration_rate_blanchard_katz()
    assert (round(bk["low"], 2), bk["mid"], bk["high"]) == (0.43, 0.5, 0.6)
    assert (round(bk["low_90"], 2), round(bk["high_90"], 2)) == (0.33, 0.46)
    param = cluster.parameters["outmigration rate"]
    assert param.default < bk["low"]
    assert all(s in param.comment for s in ("1992", "0.43-0.60", "0.5", "b9_wages.toml"))


@pytest.mark.skipif(os.environ.get("LIFECYCLE_SKIP_FITS") == "1", reason="fits skipped")
def test_silicon_saxony_membership_does_not_identify_p(cluster, evidence):
    """The second series the comment of `spontaneous recruitment` cites: four Silicon Saxony
    points, still growing in 2024. With q at 0.38, p sits at the fit's lower bound 0.001
    (interval up to 0.14); with q free, the market size sits at its upper bound."""
    fit = evidence.bass_fit_membership("Silicon Saxony", fix_q=0.38)
    p = fit.params["innovation coefficient"]
    low, high = fit.ci["innovation coefficient"]
    assert p == pytest.approx(0.001, abs=1e-4) and low == pytest.approx(0.001, abs=1e-4)
    assert 0.1 < high < 0.15
    free = evidence.bass_fit_membership("Silicon Saxony")
    assert free.params["market size"] == pytest.approx(5000.0, rel=0.01)
    comment = cluster.parameters["spontaneous recruitment"].comment
    assert "Silicon Saxony" in comment and f"0.001-{high:.2f}" in comment


def test_at_medicon_valleys_p_the_forum_above_the_threshold_fails(cluster, simulate):
    """The comment of `initiative recruitment`: the whole recruitment at Medicon Valley's
    p (0.054 = 0.01 + 0.044) no longer tips the subcritical cluster with the forum of
    several years (Member Share below 0.01 at year 80, above 0.5 at the model's 0.3)."""
    scen = "subcritical_network_with_forum.toml"
    model_value = simulate(scenario=scen)["Member Share"].iloc[-1]
    low = simulate({"initiative recruitment": 0.044}, scenario=scen)["Member Share"].iloc[-1]
    assert low < 0.01 < 0.5 < model_value
    comment = cluster.parameters["initiative recruitment"].comment
    assert all(s in comment for s in ("0.054", "0.02-0.51", "0.044", "0.001"))


def _comment(cluster, name: str) -> str:
    return " ".join(cluster.parameters[name].comment.split())


def test_capital_per_venture_comment_states_the_vc_factor_conversion(cluster, evidence):
    """EUR 35 bn over 8,960 start-ups at the mean ECB rate of 2007-2015 is 5.2 MUSD a firm, over
    France-Benelux's 40 % premium 3.7 MUSD, nearer an upper estimate for the Nordics: 4 lies
    about 8 % above it, the comment's reason to keep it an assumption."""
    cap = evidence.capital_per_venture()
    assert cap["eur_usd"] == pytest.approx(1.334, abs=1e-3)
    assert (round(cap["nordic_low"], 1), round(cap["eu"], 1)) == (3.7, 5.2)
    value = cluster.parameters["capital per venture"].default
    assert round(100 * (value / cap["nordic_low"] - 1)) == 7  # "about 8 %": 7.5
    comment = _comment(cluster, "capital per venture")
    assert comment.startswith("Assumption:")
    assert "3.7 MUSD" in comment and "5.2 MUSD" in comment and "about 8 % above" in comment


def test_university_spinoff_base_rate_is_the_low_end_of_one_trades_share(
    cluster, evidence, simulate
):
    """0.6 is the low end of one trade's share of a Norwegian university's spin-offs; the
    model realises less (Localisation Effect and STI weight), as the comment says, which is
    why it stays an assumption."""
    spin = evidence.university_spinoffs_per_year()
    assert spin["all_fields"] == pytest.approx(2.93, abs=0.01)
    value = cluster.parameters["university spinoff base rate"].default
    assert value == pytest.approx(spin["low"], abs=0.02) and value < spin["high"]
    comment = _comment(cluster, "university spinoff base rate")
    assert f"{spin['low']:.1f}-{spin['high']:.1f} a year" in comment
    realised = simulate()["University Spinoffs"]
    assert f"{realised.min():.2f}-{realised.max():.2f} spin-offs a year" in comment
    assert realised.max() < spin["low"]


def test_perception_time_lies_in_the_mean_investment_lag(cluster, evidence):
    lag = evidence.INVESTMENT_LAG_YEARS
    value = cluster.parameters["perception time"].default
    assert lag["quarterly_low"] <= value <= lag["quarterly_high"]
    comment = _comment(cluster, "perception time")
    assert comment.startswith("Assumption:") and "1.5-2.5 years" in comment


def test_holding_period_comment_states_the_models_time_to_exit(cluster, evidence):
    """Write-offs compete with exits, so exits come a mean 3.5 years (median 2.5) after
    investment, below the shortest published median (3.5): the comment's reason to call the
    value an assumption."""
    p = cluster.parameters
    mean, median = evidence.model_time_to_exit(
        p["young firm failure rate"].default,
        p["holding period"].default,
        p["minimum response time"].default,
    )
    assert (round(mean, 1), round(median, 1)) == (3.5, 2.5)
    assert median < evidence.exit_years()["low"]
    assert "mean 3.5 years (median 2.5)" in _comment(cluster, "holding period")
    # what matching the shortest published median would take: the holding period at which
    # exits and write-offs together give that median, and the write-off share it leaves
    h_eff = evidence._effective(
        p["young firm failure rate"].default, p["minimum response time"].default
    )
    rate = np.log(2) / evidence.exit_years()["low"]
    holding, writeoffs = 1 / (rate - h_eff), h_eff / rate
    assert (round(holding), round(writeoffs, 2)) == (12, 0.58)
    assert f"about {holding:.0f} years and write-offs of nearly 60 %" in _comment(
        cluster, "holding period"
    )


def test_leaving_rate_comment_states_the_lapse_and_the_models_leaving(cluster, evidence, simulate):
    """0.2 lies inside the first-year lapse of associations (0.17-0.30 a year); the mature
    network loses members by choice at 0.015-0.019 a year and, with the firms that exit,
    0.08-0.09, below the 0.11-0.16 of all association members (overall renewal 85-90 %)."""
    rate = evidence.first_year_leaving_rate()
    value = cluster.parameters["leaving rate"].default
    assert rate["trade"] < value < rate["median"]
    mature = simulate().loc[20:80]
    by_choice = mature["Leaving"] / mature["Network Members"]
    in_all = by_choice + mature["Member Exits"] / mature["Network Members"]
    comment = _comment(cluster, "leaving rate")
    assert f"{rate['trade']:.2f}-{rate['median']:.2f} a year" in comment
    assert f"{by_choice.min():.3f}-{by_choice.max():.3f} a year by choice" in comment
    assert f"{in_all.min():.2f}-{in_all.max():.2f} in all" in comment
    overall = (-np.log(0.90), -np.log(0.85))  # overall renewal 90 % (trade) and 85 % (median)
    assert f"{overall[0]:.2f}-{overall[1]:.2f} of all association members" in comment


def test_education_capacity_comment_scales_oulus_intake_to_this_cluster(
    cluster, evidence, simulate
):
    intake = sum(evidence.OULU_ICT_INTAKE.values())
    assert intake == 405
    value = cluster.parameters["education capacity"].default
    assert value == pytest.approx(intake, rel=0.05)  # "about 400 in all"
    peak = simulate()["Employment"].max()
    scaled = round(intake * peak / 12500, -1)  # Oulu ICT: more than 12,500 jobs in 2015
    comment = _comment(cluster, "education capacity")
    assert f"peak of about {round(peak, -1):,.0f} jobs, about {scaled:.0f}," in comment


def test_price_elasticity_comment_states_the_effective_share_elasticity(cluster, simulate):
    """The share elasticity is the exponent times (1 - Market Share): 0.5-0.7 in the baseline."""
    share = simulate()["Market Share"]
    value = cluster.parameters["price elasticity"].default
    low, high = value * (1 - share.max()), value * (1 - share.min())
    assert (round(low, 1), round(high, 1)) == (0.5, 0.7)
    assert (round(share.min(), 2), round(share.max(), 2)) == (0.31, 0.48)
    comment = _comment(cluster, "price elasticity")
    assert "0.5-0.7 in the baseline" in comment
    assert f"holds {share.min() * 100:.0f}-{share.max() * 100:.0f} % of its niche" in comment


def test_fund_life_as_a_hazard_lets_a_third_of_short_capital_lapse(cluster):
    """Uninvested capital expires at 1 / fund life and is invested at 1 / deployment time
    when capital is short: a third of the outflow lapses, the comment's reason."""
    p = cluster.parameters
    expiry, invest = 1 / p["fund life"].default, 1 / p["deployment time"].default
    assert expiry / (expiry + invest) == pytest.approx(1 / 3)
    assert "a third or more" in _comment(cluster, "fund life")


def test_base_return_multiple_makes_a_balanced_portfolio_return_what_funds_return(
    cluster, evidence
):
    """A success returns fund multiple / (1 - write-off share) = 2.2-2.6; at the model's
    young-firm hazard and holding period (minimum response time included) a balanced portfolio
    writes off 41 %, inside the observed 41-49 %, where the funds' 1.3 needs 2.2, and returns
    1.47 at 2.5: the comment's figures."""
    span = evidence.success_multiple()
    assert (round(span["low"], 1), round(span["high"], 1)) == (2.2, 2.6)
    p = cluster.parameters
    value = p["base return multiple"].default
    assert span["low"] <= value <= span["high"]
    w = evidence.model_writeoff_share(
        p["young firm failure rate"].default,
        p["holding period"].default,
        p["minimum response time"].default,
    )
    # 0.410 against the observed 41 % (a rounded figure): within half a point of it
    assert (
        evidence.VC_OUTCOMES["writeoff_low"] - 0.005 <= w <= evidence.VC_OUTCOMES["writeoff_high"]
    )
    comment = _comment(cluster, "base return multiple")
    assert f"write-offs take {w * 100:.0f} %" in comment
    assert f"needs {evidence.VC_OUTCOMES['fund_multiple'] / (1 - w):.1f}" in comment
    assert f"return {value * (1 - w):.2f}" in comment


def test_derived_figures_in_comments_are_recomputed(cluster, evidence):
    """Arithmetic the comments state: a first-order maturation over four years lets 22 % of
    firms mature within a year; the UK shakeout's exit rate is 6.4 times the UK mature base."""
    p = cluster.parameters
    within_a_year = 1 - np.exp(-1 / p["maturation time"].default)
    assert f"lets {within_a_year * 100:.0f} % of firms mature within one year" in _comment(
        cluster, "maturation time"
    )
    uk = evidence.uk_rates(1922, 1929)["exit_rate"] / evidence.uk_rates(1933, 1956)["exit_rate"]
    assert f"below the {uk:.1f} of the UK mature base" in _comment(
        cluster, "maximum exit multiplier"
    )


def test_annual_shares_in_rate_comments_are_recomputed(cluster, evidence):
    """Each rate comment that states what the rate does in a year ("closes about 3 % of the
    gap a year") says it at the conditions it names, through the minimum response time every
    hazard passes. Two were stale from the first edition's values (collaborative learning's
    15 %, own R&D's 4 %) and two misread the response time (convergence's 15 %, trust
    building's eighth); a referee's arithmetic caught them (session 8)."""
    p = {n: c.default for n, c in cluster.parameters.items()}
    mrt = p["minimum response time"]
    contrast, sti = p["innovation mode contrast"], p["STI share"]
    sti_weight = 1 - contrast + 2 * contrast * sti
    dui_weight = 1 + contrast - 2 * contrast * sti
    assert sti_weight == dui_weight == 1.0  # "a mixed innovation mode"
    cases = {
        # every firm a member at reference trust: Member Share 1, Trust / reference trust 1
        "convergence rate": (p["convergence rate"], "about {} % of their distinctiveness a year"),
        "trust building rate": (
            p["trust building rate"] * dui_weight,
            "about {} % of the missing trust is built in a year",
        ),
        # at the operating point: absorptive capacity, diversity and distance effects 1
        "collaborative learning rate": (
            p["collaborative learning rate"] * dui_weight,
            "closes about {} % of the gap a year",
        ),
        "own rnd rate": (p["own rnd rate"] * sti_weight, "close about {} % of the gap a year"),
        "university link rate": (p["university link rate"], "close about {} % of the gap a year"),
        "large customer push rate": (
            p["large customer push rate"],
            "closes about {} % of the gap a year",
        ),
        "global link rate": (p["global link rate"], "close about {} % of the gap a year"),
        "entry diversity effect": (
            p["entry diversity effect"] * 0.10,
            "a firm birth rate of 10 % a year renews about {} % of the missing diversity",
        ),
        "large firm trust erosion": (
            p["large firm trust erosion"],
            "horizontal trust among the SMEs at {} % a year",
        ),
    }
    for name, (hazard, phrase) in cases.items():
        share = round(100 * (1 - np.exp(-evidence._effective(hazard, mrt))))  # in a year
        assert phrase.format(share) in _comment(cluster, name), (name, share)


def test_catchup_comment_states_the_speed_of_return_to_the_steady_state(cluster):
    """At the operating point (weights 1, every firm a member at reference trust, the plant
    present) the five learning rates sum to the catch-up rate c, and relative technology
    returns to its steady state at c / (1 + c * response) + g a year less what the distance
    effect takes (linearised); the comment of Catchup Rate gives the sum, the speed and its
    half-life, and compares them with growth regressions' 1-3 % a year (a referee's
    integration of the technology sector found 0.126-0.131, half-life 5.4 years)."""
    p = {n: const.default for n, const in cluster.parameters.items()}
    rates = (
        "own rnd rate",
        "collaborative learning rate",
        "university link rate",
        "large customer push rate",
        "global link rate",
    )
    c = sum(p[r] for r in rates)
    mrt, g = p["minimum response time"], p["frontier growth rate"]
    c_eff = c / (1 + c * mrt)
    steady = c_eff / (c_eff + g)  # Rival Relative Technology, the operating point
    # linearised return: the local rates slow as relative technology falls below the
    # competence base (which moves over a working life, held here); the distance effect's
    # slope at the operating point is half its elasticity
    local = c - p["global link rate"]
    slope = local * p["distance elasticity"] / 2 / steady / (1 + c * mrt) ** 2
    speed = c_eff + g - (1 - steady) * slope
    doc = cluster.doc.set_index("Real Name")
    text = " ".join(str(doc.loc["Catchup Rate", "Comment"]).split())
    assert f"the five rates sum to {c:.2f} a year" in text
    assert f"at about {speed:.2f} a year (a half-life of {np.log(2) / speed:.1f} years;" in text
    assert f"{c_eff + g:.2f} without the distance effect" in text

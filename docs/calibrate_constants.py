"""Reproduce the evidence behind the model's data-based constants (``make docs`` runs it).

Each ``Source:`` comment of ``models/cluster_lifecycle.mdl`` that rests on a data file of
``data/`` states a conversion; this script recomputes every such conversion from the files
and prints it beside the model's value. With the project's own calibration code
(``lifecycle.calibration.calibrate``) it fits the young-firm hazard of the cluster model to
the survival rates of ``data/new_firm_survival.csv`` in the model's own cohort structure,
and the Bass model (``models/bass_diffusion.mdl``) to the two membership series we have.
Published figures that are not in a data file (Eurostat's birth and death rate, the 2018
labour costs) are written here once, with their source. Run from the repository root::

    python docs/calibrate_constants.py [--quiet]

It prints a table and writes nothing. ``tests/test_model_sources.py`` runs the same
functions and checks that each comment's number is the one computed here.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
UK_MOTOR = DATA / "uk_motor_car_firms_1897_1956.csv"
VC = DATA / "us_eu_vc_invested_2003_2022_musd.csv"
MEMBERSHIP = DATA / "cluster_organisation_membership.csv"

SURVIVAL = DATA / "new_firm_survival.csv"


def survival(population: str) -> dict[float, float]:
    """A birth cohort's surviving share by age in years, from ``data/new_firm_survival.csv``
    (rows whose population starts with ``population``: "EU" for Eurostat, "US" for BLS)."""
    df = pd.read_csv(SURVIVAL)
    d = df[df["population"].str.startswith(population)]
    if d.empty:
        raise ValueError(f"{SURVIVAL}: no rows for population {population!r}")
    return dict(zip(d["age_years"].astype(float), d["surviving_share"].astype(float), strict=True))


#: Eurostat, Business demography statistics (Statistics Explained, data of November 2016):
#: "Birth and death rates of enterprises tend to be around 9 % of the total number"; its
#: survival rates (about 80 % at one year, nearly 44 % at five) are rows of SURVIVAL.
EUROSTAT_BIRTH_DEATH_RATE = 0.09
EUROSTAT_SURVIVAL = survival("EU")
EUROSTAT_SURVIVAL_1Y, EUROSTAT_SURVIVAL_5Y = EUROSTAT_SURVIVAL[1.0], EUROSTAT_SURVIVAL[5.0]
#: US establishments born in the second quarter of 1998 (Knaup 2005, Monthly Labor Review
#: 128(5)): 66 % alive after two years, 44 % after four (rows of SURVIVAL).
BLS_SURVIVAL = survival("US")
#: A cohort in the cluster model: 50 young firms, no large firm, engineering-based (no
#: venture-backed firms, so no capital starvation), a market far from full (exit pressure 1),
#: and entry as low as the model's ranges allow (about 0.1 births a year, about half a firm
#: over five years: the survival fitted below is at most 2 % too high).
COHORT = {
    "initial young firms": 50, "initial established firms": 0,
    "large firm initially present": 0, "STI share": 0,
    "startup rate": 0.02, "localisation half size": 20000, "firm inmigration rate": 0,
    "university spinoff base rate": 0, "spinoffs per leaver": 0,
}  # fmt: skip
#: The Bass innovation coefficient p over published fits: about 0.03 on average, often less
#: than 0.01 (Mahajan, Muller and Bass 1995, Marketing Science 14(3):G79-G88; the mean also
#: in Sultan, Farley and Lehmann 1990, Journal of Marketing Research 27(1):70-77).
BASS_P = {"mean": 0.03, "often_below": 0.01}
#: Blanchard, O. J. and Katz, L. F. (1992), Regional Evolutions, Brookings Papers on Economic
#: Activity 1992(1):1-75: after a negative employment shock a US state's unemployment rate is
#: back to normal after five to seven years, the adjustment being mainly out-migration.
BLANCHARD_KATZ_YEARS = (5.0, 7.0)
#: "Back to normal" read as 95 % of the excess gone: three time constants of a first-order
#: decay (exp(-3) = 0.05), the convention for the settling of a first-order delay.
SETTLING_TIME_CONSTANTS = 3.0
#: Eurostat news release STAT/19/2109 (11 April 2019): hourly labour costs in 2018, euro.
LABOUR_COST_2018 = {"Sweden": 36.6, "Denmark": 43.5, "EU28": 27.4}  # the EU of 2018
#: European Investment Fund and Invest Europe (2019), The VC Factor (engage.eif.org): about
#: EUR 35 bn invested in 2007-2015 in the 8,960 EU start-ups first backed by venture capital
#: in those years; start-ups in France and Benelux raised 40 % more than Nordic ones.
VC_FACTOR = {"invested_meur": 35_000.0, "startups": 8960, "france_benelux_over_nordic": 1.40}
#: ECB euro foreign exchange reference rates, annual averages, US dollars a euro.
EUR_USD = {2007: 1.3705, 2008: 1.4708, 2009: 1.3948, 2010: 1.3257, 2011: 1.3920,
           2012: 1.2848, 2013: 1.3281, 2014: 1.3285, 2015: 1.1095}  # fmt: skip
#: Years from investment to exit (each as quoted): EU28 deals of 2007-2017, median from a
#: round to an IPO or trade sale (Zephyr and Amadeus data); US tech IPOs of 2013, median from
#: first funding (CB Insights, Tech IPO Pipeline Report 2018); NVCA yearbook, years to IPO
#: in 2013.
EXIT_YEARS = {"eu_round_to_exit_median": 3.5, "us_2013_ipo_median": 6.9, "nvca_2013_ipo": 7.4}
#: Research Council of Norway, project 224959: 129 science-based spin-offs from the four
#: largest Norwegian universities in 2000-2010 (eleven calendar years).
NORWAY_SPINOFFS = {"firms": 129, "universities": 4, "years": 11}
#: One trade's share of a university's spin-offs: more than half of MIT's spin-offs of
#: 1980-1996 were in two trades, biotechnology and software (Shane 2004, Academic
#: Entrepreneurship, table 7.1), so one trade takes a fifth to a third (a judgement).
TRADE_SHARE = (1 / 5, 1 / 3)
#: Marketing General Inc. (2019), Membership Marketing Benchmarking Report: first-year
#: renewal rates, median association and trade associations.
FIRST_YEAR_RENEWAL = {"median": 0.74, "trade": 0.84}
#: Places in ICT programmes at Oulu's university (Finnish-language programmes, spring 2019,
#: Kaleva) and university of applied sciences (IT engineering and business IT, 2024-2025).
OULU_ICT_INTAKE = {"university_2019": 295, "oamk_it_engineering": 50, "oamk_business_it": 60}
#: Price elasticities of trade: "for the most part estimated close to -1" (Gagnon 2003, FRB
#: International Finance Discussion Papers 754); aggregate estimates between 0 and -2 (Imbs
#: and Mejean 2015, Elasticity Optimism, summarising Orcutt 1950 to Marquez 1990).
TRADE_PRICE_ELASTICITY = {"typical": 1.0}
#: Mean lag of US manufacturing investment behind its determinants, years: seven quarters in
#: surveys, six to ten in regressions on quarterly data (as summarised by Jorgenson and
#: Stephenson 1967, Review of Economics and Statistics 49:16-27).
INVESTMENT_LAG_YEARS = {"surveys": 7 / 4, "quarterly_low": 6 / 4, "quarterly_high": 10 / 4}
#: Venture outcomes (each as reported): funds returned 1.3 times the capital invested on
#: average, net of fees (Kauffman Foundation, Mulcahy, Weeks and Bradley 2012); worthless
#: exits, 41 % since 2003 (Sand Hill Econometrics 2013) and 49 % of resolved outcomes of
#: 1987-2008 (Hall and Woodward 2008: 34 % died, 35 % listed or acquired).
VC_OUTCOMES = {"fund_multiple": 1.3, "writeoff_low": 0.41, "writeoff_high": 0.34 / 0.69}
NUTS2_REGIONS = 242  # NUTS 2021 level-2 regions of the EU27
CLUSTER_SHARE_OF_REGION = 0.25  # an assumption, said in the comment of `regional venture supply`


def uk_motor() -> pd.DataFrame:
    """The UK record, one row per interval: entries, exits, firm-years (trapezoid of the
    firm counts at both ends) and the years it spans."""
    with UK_MOTOR.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for a, b in zip(rows, rows[1:], strict=False):
        years = int(b["year"]) - int(a["year"])
        n0, n1 = float(a["number_of_firms"]), float(b["number_of_firms"])
        out.append(
            {
                "start": int(a["year"]),
                "end": int(b["year"]),
                "entries": float(b["entries_since_previous_date"]),
                "exits": float(b["exits_since_previous_date"]),
                "firm_years": (n0 + n1) / 2 * years,
            }
        )
    return pd.DataFrame(out)


def uk_rates(start: int, end: int) -> dict[str, float]:
    """Entries and exits per firm-year over the intervals from ``start`` to ``end``."""
    df = uk_motor()
    part = df[(df["start"] >= start) & (df["end"] <= end)]
    if part.empty or part["start"].min() != start or part["end"].max() != end:
        raise ValueError(f"{UK_MOTOR}: no intervals exactly from {start} to {end}")
    fy = float(part["firm_years"].sum())
    return {
        "entries": float(part["entries"].sum()),
        "exits": float(part["exits"].sum()),
        "firm_years": fy,
        "entry_rate": float(part["entries"].sum()) / fy,
        "exit_rate": float(part["exits"].sum()) / fy,
    }


def eurostat_established_exit_rate() -> float:
    """Exit rate of firms older than five in a steady state with Eurostat's rates: births b
    a year (relative to the stock), survival 1 -> 80 % in the first year and 80 % -> 44 % over
    the next four (exponential in between). Under-fives' deaths b (1 - S5); the young stock
    b * integral of S; the rest of the deaths falls on the older firms."""
    b, s1, s5 = EUROSTAT_BIRTH_DEATH_RATE, EUROSTAT_SURVIVAL_1Y, EUROSTAT_SURVIVAL_5Y
    k1, k2 = -math.log(s1), math.log(s1 / s5) / 4
    young_years = (1 - s1) / k1 + s1 * (1 - math.exp(-4 * k2)) / k2  # integral of S over 0-5
    young_deaths, young_stock = b * (1 - s5), b * young_years
    return (b - young_deaths) / (1 - young_stock)


def eurostat_young_hazard(maturation_time: float = 4.0, established: float = 0.04) -> float:
    """The young-firm hazard that gives Eurostat's five-year survival in this model: young
    for ``maturation_time`` years at h, then ``established`` for the rest of the five."""
    return (-math.log(EUROSTAT_SURVIVAL_5Y) - established * (5 - maturation_time)) / (
        maturation_time
    )


def young_hazard_fit(survival: dict[float, float] | None = None):
    """Fit ``young firm failure rate`` to a cohort's survival in the model's own structure
    (first-order maturation at the model's ``maturation time``, the minimum response time,
    established firms at the model's exit rate), with the project's calibration: the
    cluster model run from ``COHORT``, its Firms against 50 x the surviving share. Returns
    the calibration result (Eurostat's survival by default)."""
    from lifecycle.calibration import calibrate
    from lifecycle.model import load_model

    survival = EUROSTAT_SURVIVAL if survival is None else survival
    model = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    n0 = COHORT["initial young firms"]
    data = pd.DataFrame({"Firms": [n0 * s for s in survival.values()]},
                        index=pd.Index([float(t) for t in survival], name="time"))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calibrate(model, data, {"young firm failure rate": (0.02, 0.4)}, scenario=COHORT,
                         final_time=max(survival) + 1, seed=2016, starts=4)  # fmt: skip


def outmigration_rate_blanchard_katz() -> dict[str, float]:
    """The rate at which unemployed workers leave that empties an excess of unemployment in
    Blanchard and Katz's five to seven years: three time constants (95 % gone), 3 / years;
    ``mid`` at six years. With 90 % (2.3 time constants) the span would be 0.33-0.46."""
    short, long_ = BLANCHARD_KATZ_YEARS
    k = SETTLING_TIME_CONSTANTS
    return {"low": k / long_, "mid": k / ((short + long_) / 2), "high": k / short,
            "low_90": math.log(10) / long_, "high_90": math.log(10) / short}  # fmt: skip


def relative_labour_cost() -> dict[str, float]:
    """Swedish and Danish hourly labour costs of 2018 over the EU28 average."""
    eu = LABOUR_COST_2018["EU28"]
    return {k: v / eu for k, v in LABOUR_COST_2018.items() if k != "EU28"}


def regional_venture_supply() -> dict[str, float]:
    """EU27 venture investment 2010-2019 (NSF SEI table SINV-31), per NUTS-2 region, and the
    cluster's assumed quarter of it."""
    df = pd.read_csv(VC)
    mean = float(df[(df["year"] >= 2010) & (df["year"] <= 2019)]["eu27"].mean())
    per_region = mean / NUTS2_REGIONS
    return {"eu27_mean": mean, "per_region": per_region,
            "cluster": per_region * CLUSTER_SHARE_OF_REGION}  # fmt: skip


BRIDGE = DATA / "nokia_bridge_startups.csv"
NOKIA_FINLAND = DATA / "nokia_finland_employees.csv"
OULU = DATA / "oulu_ict_cluster_points.csv"


def _number(text: str, pattern: str, path: Path) -> list[float]:
    m = re.search(pattern, text)
    if m is None:
        raise ValueError(f"{path}: no match for {pattern!r}")
    return [float(g.replace(",", "")) for g in m.groups()]


def spinoffs_per_leaver() -> dict[str, float]:
    """Start-ups per departing employee: Nokia's Bridge programme (about 1,000 firms over
    its life, offered to more than 18,000 leavers) and Oulu (about 400 supported start-ups
    as about 4,500 ICT jobs were lost to 2014)."""
    bridge = pd.read_csv(BRIDGE)
    total = float(bridge.loc[bridge["year"].isna(), "startups_cumulative"].max())
    (offered,) = _number(" ".join(bridge["scope"]), r"offered to >([\d,]+)", BRIDGE)
    oulu = pd.read_csv(OULU)

    def value(measure: str) -> float:
        rows = oulu[oulu["measure"].str.startswith(measure)]
        if len(rows) != 1:
            raise ValueError(f"{OULU}: {len(rows)} rows for {measure!r}")
        return float(rows["value"].iloc[0])

    started = value("Start-ups established in Oulu with Nokia/Microsoft")
    lost = value("Cumulative ICT jobs lost in Oulu")
    return {"bridge_firms": total, "bridge_offered": offered, "bridge": total / offered,
            "oulu_startups": started, "oulu_jobs_lost": lost, "oulu": started / lost}  # fmt: skip


def supplier_jobs_per_large_firm_job() -> dict[str, float]:
    """Nokia's first-tier subcontractors' jobs in Finland per Nokia job in Finland, 2001
    (ETLA 2001 as quoted: 24,500 employees, 18,000-20,000 at the subcontractors)."""
    df = pd.read_csv(NOKIA_FINLAND)
    row = df[df["year"] == 2001]
    if len(row) != 1:
        raise ValueError(f"{NOKIA_FINLAND}: no single row for 2001")
    nokia = float(row["nokia_employees_in_finland"].iloc[0])
    low, high = _number(row["note"].iloc[0], r"subcontractors (\d+)-(\d+),000", NOKIA_FINLAND)
    return {"nokia": nokia, "low": low * 1000 / nokia, "high": high * 1000 / nokia}


def capital_per_venture() -> dict[str, float]:
    """Venture capital per EU start-up of 2007-2015 in MUSD, and the Nordic estimate: the EU
    mean over France-Benelux's 40 % premium over the Nordics (nearer an upper estimate, since
    the EU mean includes regions above France-Benelux)."""
    rate = float(np.mean(list(EUR_USD.values())))
    eu = VC_FACTOR["invested_meur"] / VC_FACTOR["startups"] * rate
    return {"eur_usd": rate, "eu": eu,
            "nordic_low": eu / VC_FACTOR["france_benelux_over_nordic"]}  # fmt: skip


def exit_years() -> dict[str, float]:
    """The span of the published years to exit (medians and one mean, see EXIT_YEARS)."""
    return {"low": min(EXIT_YEARS.values()), "high": max(EXIT_YEARS.values())}


def university_spinoffs_per_year() -> dict[str, float]:
    """Spin-offs a year from one university: all fields (Norway 2000-2010), and one trade."""
    n = NORWAY_SPINOFFS
    per_university = n["firms"] / n["universities"] / n["years"]
    return {"all_fields": per_university, "low": per_university * TRADE_SHARE[0],
            "high": per_university * TRADE_SHARE[1]}  # fmt: skip


def first_year_leaving_rate() -> dict[str, float]:
    """Continuous leaving rates a year of first-year association members, -ln(renewal)."""
    return {k: -math.log(v) for k, v in FIRST_YEAR_RENEWAL.items()}


def success_multiple() -> dict[str, float]:
    """Multiple of a successful exit that makes a portfolio return the funds' multiple, given
    the share written off: fund / (1 - write-off share)."""
    o = VC_OUTCOMES
    return {"low": o["fund_multiple"] / (1 - o["writeoff_low"]),
            "high": o["fund_multiple"] / (1 - o["writeoff_high"])}  # fmt: skip


def _effective(hazard: float, minimum_response_time: float) -> float:
    """The model's hazard on a stock: h / (1 + h * minimum response time)."""
    return hazard / (1 + hazard * minimum_response_time)


def model_writeoff_share(
    young_hazard: float, holding_period: float, minimum_response_time: float = 0.3
) -> float:
    """Share of a balanced portfolio's capital written off: the effective young-firm hazard
    against exits at 1 / holding period (Venture Writeoffs against Venture Exits)."""
    h = _effective(young_hazard, minimum_response_time)
    return h / (h + 1 / holding_period)


def model_time_to_exit(
    young_hazard: float, holding_period: float, minimum_response_time: float = 0.3
) -> tuple[float, float]:
    """Mean and median years from investment to exit of the capital that exits: exits and
    write-offs are competing first-order outflows, so the time is exponential at their sum."""
    rate = _effective(young_hazard, minimum_response_time) + 1 / holding_period
    return 1 / rate, math.log(2) / rate


def membership(organisation: str) -> pd.DataFrame:
    """One organisation's members by model time (years after its founding year, the
    founding-day count at a quarter of a year)."""
    df = pd.read_csv(MEMBERSHIP)
    d = df[df["organisation"].str.startswith(organisation)].sort_values("year")
    if d.empty:
        raise ValueError(f"{MEMBERSHIP}: no rows for {organisation!r}")
    t = np.maximum(d["year"].to_numpy(float) - float(d["year"].min()), 0.25)
    return pd.DataFrame({"Adopters": d["members"].to_numpy(float)},
                        index=pd.Index(t, name="time"))  # fmt: skip


def bass_fit_membership(organisation: str = "Medicon Valley", *, fix_q: float | None = None):
    """Bass fit to a cluster organisation's membership (``models/bass_diffusion.mdl``): p, q
    and m free, or q held at ``fix_q``. Returns the calibration result."""
    from lifecycle.calibration import calibrate
    from lifecycle.model import load_model

    model = load_model(ROOT / "models" / "bass_diffusion.mdl")
    data = membership(organisation)
    bounds = {"innovation coefficient": (0.001, 1.0), "market size": (50.0, 5000.0)}
    scenario = None
    if fix_q is None:
        bounds["imitation coefficient"] = (0.0, 5.0)
    else:
        scenario = {"imitation coefficient": fix_q}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the identifiability warning is reported below
        return calibrate(model, data, bounds, scenario=scenario,
                         final_time=float(data.index.max()) + 1, seed=1997, starts=8)  # fmt: skip


def evidence() -> list[tuple[str, float, str]]:
    """(constant, value the evidence gives, how) for every data-based conversion."""
    growth, empty = uk_rates(1902, 1922), uk_rates(1897, 1902)
    shake, mature = uk_rates(1922, 1929), uk_rates(1933, 1956)
    vc = regional_venture_supply()
    wage = relative_labour_cost()
    bk = outmigration_rate_blanchard_katz()
    spin, sup = spinoffs_per_leaver(), supplier_jobs_per_large_firm_job()
    cap, ex, leave = capital_per_venture(), exit_years(), first_year_leaving_rate()
    spin_u, succ = university_spinoffs_per_year(), success_multiple()
    return [
        ("startup rate", growth["entry_rate"],
         f"UK motor 1902-1922: {growth['entries']:.0f} entries / "
         f"{growth['firm_years']:.0f} firm-years (x Localisation Effect in the model)"),
        ("maximum entry attractiveness", empty["entry_rate"] / growth["entry_rate"],
         f"UK motor entry 1897-1902 {empty['entry_rate']:.3f} / 1902-1922 "
         f"{growth['entry_rate']:.3f} per firm-year"),
        ("maximum exit multiplier", shake["exit_rate"] / 0.04,
         f"UK motor 1922-1929: {shake['exits']:.0f} exits / {shake['firm_years']:.0f} "
         f"firm-years = {shake['exit_rate']:.3f}, over the 0.04 base (a lower bound)"),
        ("established exit rate", mature["exit_rate"],
         f"UK motor 1933-1956: {mature['exits']:.0f} exits / {mature['firm_years']:.0f} "
         "firm-years"),
        ("established exit rate", eurostat_established_exit_rate(),
         "Eurostat 2016: deaths 9 %, survival 80 % (1 y), 44 % (5 y), firms over five"),
        ("young firm failure rate", eurostat_young_hazard(),
         "Eurostat 2016: 44 % survive five years, young for a fixed 4 years, 0.04 after "
         "(the model's first-order maturation needs more: the cohort fits below)"),
        ("young firm failure rate", empty["exit_rate"],
         f"UK motor 1897-1902, a nearly empty market of firms under five years old: "
         f"{empty['exits']:.0f} exits / {empty['firm_years']:.1f} firm-years (an empty "
         "market's hazard, far below a balanced one's)"),
        ("spontaneous recruitment", BASS_P["often_below"],
         f"Bass p over published fits: mean {BASS_P['mean']}, often below "
         f"{BASS_P['often_below']} (Mahajan, Muller and Bass 1995; membership is costly)"),
        ("spinoffs per leaver", spin["bridge"],
         f"Nokia Bridge: {spin['bridge_firms']:.0f} firms / {spin['bridge_offered']:.0f} "
         f"leavers; Oulu {spin['oulu_startups']:.0f} start-ups / {spin['oulu_jobs_lost']:.0f} "
         f"jobs lost = {spin['oulu']:.3f} (founders of every origin)"),
        ("local purchases per large firm job", (sup["low"] + sup["high"]) / 2,
         f"Nokia 2001: 18,000-20,000 subcontractor jobs / {sup['nokia']:.0f} Nokia jobs in "
         f"Finland = {sup['low']:.2f}-{sup['high']:.2f} (national: an upper estimate)"),
        ("outmigration rate", bk["mid"],
         f"Blanchard and Katz 1992: unemployment back to normal 5-7 years after a shock, "
         f"95 % of the excess gone in 3 time constants: {bk['low']:.2f}-{bk['high']:.2f} "
         "(the model keeps 0.25: at 0.5 the wage check's robustness falls to 0.75)"),
        ("relative wage level", wage["Sweden"],
         f"Eurostat 2018 labour cost: Sweden {wage['Sweden']:.2f}, Denmark "
         f"{wage['Denmark']:.2f} x the EU28 average (the lower end)"),
        ("capital per venture", cap["nordic_low"],
         f"The VC Factor 2019: EUR {VC_FACTOR['invested_meur']:.0f} m / {VC_FACTOR['startups']} "
         f"start-ups x {cap['eur_usd']:.3f} USD/EUR = {cap['eu']:.2f} MUSD (EU mean), over "
         f"{VC_FACTOR['france_benelux_over_nordic']} for the Nordics: {cap['nordic_low']:.2f}"),
        ("holding period", ex["high"],
         f"years to exit {ex['low']}-{ex['high']} (EU round to exit, US 2013 IPOs, NVCA 2013); "
         "the model's exits compete with write-offs and come sooner (its comment)"),
        ("university spinoff base rate", spin_u["low"],
         f"Norway 2000-2010: {spin_u['all_fields']:.2f} a university and year, one trade a "
         f"fifth to a third: {spin_u['low']:.2f}-{spin_u['high']:.2f}"),
        ("leaving rate", leave["trade"],
         f"first-year renewal {FIRST_YEAR_RENEWAL['trade']:.0%} (trade) - "
         f"{FIRST_YEAR_RENEWAL['median']:.0%} (median): {leave['trade']:.2f}-"
         f"{leave['median']:.2f} a year (MGI 2019)"),
        ("education capacity", float(sum(OULU_ICT_INTAKE.values())),
         "Oulu ICT places: university 295 (2019) + UAS 50 + 60, for 12,500+ jobs (scaled to "
         "this cluster's peak in its comment)"),
        ("price elasticity", TRADE_PRICE_ELASTICITY["typical"],
         "trade volume elasticities close to 1 (Gagnon 2003), aggregate 0-2 (Imbs, Mejean "
         "2015): another quantity than the share exponent"),
        ("perception time", INVESTMENT_LAG_YEARS["surveys"],
         "mean investment lag: 7 quarters (surveys), 6-10 (quarterly regressions), "
         "Jorgenson and Stephenson 1967"),
        ("base return multiple", succ["high"],
         f"fund multiple {VC_OUTCOMES['fund_multiple']} / (1 - write-offs "
         f"{VC_OUTCOMES['writeoff_low']:.2f}-{VC_OUTCOMES['writeoff_high']:.2f}) = "
         f"{succ['low']:.2f}-{succ['high']:.2f} (Kauffman 2012; Sand Hill 2013; Hall and "
         "Woodward 2008)"),
        ("regional venture supply", vc["cluster"],
         f"NSF SINV-31 EU27 2010-2019 mean {vc['eu27_mean']:.0f} MUSD / {NUTS2_REGIONS} "
         f"regions = {vc['per_region']:.1f}, x {CLUSTER_SHARE_OF_REGION} (assumed)"),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quiet", action="store_true", help="skip the Bass fits (about 10 s)")
    args = ap.parse_args()
    from lifecycle.model import load_model

    model = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    print(f"{'constant':30} {'model':>8} {'evidence':>9}  how")
    for name, value, how in evidence():
        current = model.parameters[name].default
        print(f"{name:30} {current:>8.4g} {value:>9.4g}  {how}")
    if args.quiet:
        return
    print(
        "\nyoung firm failure rate fitted in the model's own cohort (maturation time "
        f"{model.parameters['maturation time'].default:g}):"
    )
    for label, surv in (
        ("Eurostat 2016, 80 % (1 y), 44 % (5 y)", EUROSTAT_SURVIVAL),
        ("BLS 1998 cohort, 66 % (2 y), 44 % (4 y)", BLS_SURVIVAL),
    ):
        fit = young_hazard_fit(surv)
        ((lo, hi),) = fit.ci.values()
        h = fit.params["young firm failure rate"]
        print(f"  {label}: {h:.3f} [{lo:.3f}, {hi:.3f}]; R² {fit.r2['Firms']:.3f}")  # fmt: skip
    series = {
        "Medicon Valley": "Medicon Valley Alliance membership (5 points, 1997-2023)",
        "Silicon Saxony": "Silicon Saxony membership (4 points, 2000-2024)",
    }
    for org, what in series.items():
        print(f"\nBass fits to {what}:")
        for fix_q in (None, 0.38):
            fit = bass_fit_membership(org, fix_q=fix_q)
            free = "p, q, m free" if fix_q is None else f"q held at {fix_q}"
            parts = [f"{k.split()[0]} {v:.3g} [{fit.ci[k][0]:.3g}, {fit.ci[k][1]:.3g}]"
                     for k, v in fit.params.items()]  # fmt: skip
            print(f"  {free}: " + "; ".join(parts) + f"; R² {fit.r2['Adopters']:.3f}")


if __name__ == "__main__":
    main()

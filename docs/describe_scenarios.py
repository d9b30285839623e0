"""Write the numbers in the descriptions of scenarios/*.toml from runs of the model.

Each top-level scenario's ``description`` states figures of its run (peaks and their years,
values at given years, shares, counts over a window, comparisons with other scenarios and
contrasts). They are composed here from the runs, so that a changed constant cannot leave a
description stating an old number::

    .venv/bin/python docs/describe_scenarios.py          # print what would change
    .venv/bin/python docs/describe_scenarios.py --write  # rewrite the descriptions

Only the ``description`` of each file is written: the text between its triple quotes is
replaced, and the file is read back to check that the description is the new one and every
other key is unchanged. ``tests/test_scenarios.py`` fails while a description differs from what this
writes. To change a description's wording, change its template below.

Rounding: jobs to the nearest 10, years to the nearest half year, shares to two decimals.
Where a sentence makes a qualitative claim (an ordering, "lower", "far more"), ``require``
checks it on the runs and stops with a message naming the sentence when it no longer holds,
so that a template is never written over a false claim. Without ``--write`` the script exits
1 when a description differs.
"""

# The templates are prose, one sentence a line: long lines are kept readable as sentences.
# ruff: noqa: E501
from __future__ import annotations

import argparse
import difflib
import math
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MODEL = ROOT / "models" / "cluster_lifecycle.mdl"
WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
         8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen",
         14: "fourteen", 15: "fifteen"}  # fmt: skip


def _window(series, a, b):
    return series.loc[
        (series.index[0] if a is None else a) : (series.index[-1] if b is None else b)
    ]


def at(df, v, t):
    return float(df[v].loc[t])


def pk(df, v, a=None, b=None):
    x = _window(df[v], a, b)
    return float(x.max()), float(x.idxmax())


def mn(df, v, a=None, b=None):
    x = _window(df[v], a, b)
    return float(x.min()), float(x.idxmin())


def mean(df, v, a=None, b=None):
    return float(_window(df[v], a, b).mean())


def fin(df, v):
    return float(df[v].iloc[-1])


def integ(df, v, a, b, dt=0.125):
    """Sum of a flow over [a, b) on output saved every ``dt`` years, times ``dt``."""
    x = df[v]
    i = x.index
    return float(x[(i >= a - 1e-9) & (i < b - 1e-9)].sum() * dt)


def require(condition: bool, claim: str) -> None:
    """Stop when a qualitative claim of a template no longer holds on the runs."""
    if not condition:
        raise SystemExit(f"describe_scenarios: no longer true, rewrite the template: {claim}")


def J(x):
    return f"{int(round(x / 10.0)) * 10:,}"


def Y(t):
    t = round(t * 2) / 2
    return str(int(t)) if t == int(t) else f"{t:.1f}"


def D2(x):
    return f"{x:.2f}"


def I(x):  # noqa: E743
    return f"{int(round(x))}"


def P1(x):
    return f"{x:.1f}"


def descriptions(model) -> dict[str, str]:
    """{file name: description} for every top-level scenario, from runs of ``model``."""
    from lifecycle import load_scenario, run
    from lifecycle.stages import stage_sequence

    m = model
    W = WORDS
    cache: dict = {}

    def R(path, sp=None, **params):
        key = (path, sp, tuple(sorted(params.items())))
        if key not in cache:
            s = load_scenario(SCENARIOS / path, m)
            cache[key] = run(m, s, params=params or None, **({"saveper": sp} if sp else {}))
        return cache[key]

    out = {}
    B = R("baseline.toml")
    bE, bEt = pk(B, "Employment")
    bF, bFt = pk(B, "Firms")
    if not any(s.name == "decline" for s in stage_sequence(B, "Employment")):
        raise SystemExit(
            "the baseline's Employment has no decline stage within its run: the baseline's "
            "template says it declines; rewrite that sentence in docs/describe_scenarios.py"
        )
    decl = f"the cluster declines slowly: {J(fin(B, 'Employment'))} jobs ({I(100 * (1 - fin(B, 'Employment') / bE))} % below the peak) and {I(fin(B, 'Firms'))} firms in year 80"
    out["baseline.toml"] = (
        "An embryonic cluster of eight young firms beside one large plant of 600 jobs, three of the firms network members, with no policy. "
        f"It starts at the technology of its rivals ({D2(at(B, 'Relative Technology', 0))} of the frontier, where rivals' catch-up balances the frontier's growth). "
        "Localisation economies are weak while the cluster is small, so the firms' relative growth rate rises over the first 25 years (a take-off). "
        f"Firms, employment and membership then grow in S-curves: employment peaks at {J(bE)} jobs in year {Y(bEt)}, firms at {I(bF)} in year {Y(bFt)}, member share reaches {D2(pk(B, 'Member Share')[0])}. "
        f"Convergence in the dense network erodes knowledge diversity below its optimum ({D2(fin(B, 'Knowledge Diversity'))} against {at(B, 'Knowledge Diversity', 0):.1f} at the start), "
        f"the technology gap to rivals widens (relative technology {D2(fin(B, 'Relative Technology'))} against their {D2(fin(B, 'Rival Relative Technology'))}) and "
        f"{decl}; in the crowded market fewer founders enter, as their odds of surviving fall."
    )

    D = R("disruptive_shock.toml")
    e55 = at(D, "Employment", 55)
    tr, trt = mn(D, "Employment", 55, 80)
    f55 = at(D, "Firms", 55)
    fp, fpt = pk(D, "Firms", 55, 80)
    out["disruptive_shock.toml"] = (
        "A disruptive technology arriving in year 55 (quartz for Swiss watches) lifts the world frontier by 150 % over five years; rivals are assumed to adopt it. "
        f"Local learning cannot bridge so large a distance from the cluster's competences: within {W[math.ceil(trt - 55)]} years the cluster loses {I(100 * (1 - tr / e55))} % of its jobs ({J(e55)} to {J(tr)} in year {Y(trt)}). "
        f"Laid-off staff still found firms for {W[int(round(fpt - 55 - 0.01))]} years (firms {I(f55)} to {I(fp)} in year {Y(fpt)}), fewer than the market's room alone would invite because a founder's odds of surviving fall with the exit pressure, "
        f"before the firms fall with the jobs, to {I(fin(D, 'Firms'))} in year 80 ({I(100 * (1 - fin(D, 'Firms') / f55))} % below year 55). "
        f"The cluster stays low, {J(fin(D, 'Employment'))} jobs in year 80 with relative technology {D2(fin(D, 'Relative Technology'))} (not sliding to zero): lock-in, as in the Swiss watch cluster after the 1970s. "
        "As its competences slowly re-base on the new technology (over a working life) it would recover beyond the horizon."
    )

    E = R("engineering_based.toml")
    SD = R("science_driven.toml")
    eE, eEt = pk(E, "Employment")
    out["engineering_based.toml"] = (
        "An engineering-based (DUI) profile, as in furniture or food: firms learn with nearby customers and suppliers, lean on the local network and trust "
        f"(member share {D2(at(E, 'Member Share', 20))} in year 20 against {D2(at(SD, 'Member Share', 20))} when science-driven; trust {D2(fin(E, 'Trust'))} against {D2(fin(SD, 'Trust'))} in year 80) "
        f"and need little venture capital; employment peaks at {J(eE)} in year {Y(eEt)}."
    )

    F = R("failed_emergence.toml")
    out["failed_emergence.toml"] = (
        "A smaller seed: two young firms and no anchor firm. "
        f"Localisation economies are too weak to carry entry (about {I(100 * at(F, 'Localisation Effect', 0))} % of their full effect), and the young firms' liability of newness "
        f"(a hazard of {D2(mean(F, 'Young Firm Hazard'))} a year) wins: "
        f"the cluster never takes off ({P1(fin(F, 'Firms'))} firms and {I(fin(F, 'Employment'))} jobs in year 80, against {I(bF)} firms at the baseline's peak)."
    )

    H = R("high_relative_wage.toml")
    SH = R("contrasts/shock_high_wage.toml")
    SLW = R("contrasts/shock_low_wage.toml")
    LW = R("contrasts/low_relative_wage.toml")
    ch = 100 * (1 - mean(SH, "Employment", 55, 80) / mean(H, "Employment", 55, 80))
    cl = 100 * (1 - mean(SLW, "Employment", 55, 80) / mean(LW, "Employment", 55, 80))
    require(ch > cl, "high_relative_wage: the shock costs the high-wage cluster more")
    out["high_relative_wage.toml"] = (
        "Wages 60 % above rivals' at normal unemployment instead of 34 %. Unit labour cost is higher, so the cluster holds a smaller share of its niche: "
        f"employment peaks at {J(pk(H, 'Employment')[0])} (against {J(bE)}) and ends at {J(fin(H, 'Employment'))} in year 80. "
        "Through the attraction model of market share a loss of competitiveness costs a weak cluster more: "
        f"the technology shock costs it {P1(ch)} % of its jobs over years 55-80, against {P1(cl)} % at a wage of 0.8 (behaviour 9)."
    )

    A = R("large_firm_arrival.toml")
    aE, aEt = pk(A, "Employment")
    require(
        at(A, "Member Share", 20) > at(B, "Member Share", 20), "large_firm_arrival: trust is higher"
    )
    out["large_firm_arrival.toml"] = (
        "No large firm at the start; one of 600 jobs arrives in year 15. "
        f"Without the anchor's jobs, purchases and spin-offs localisation economies build slowly ({J(at(A, 'Employment', 30))} jobs in year 30 against {J(at(B, 'Employment', 30))} in the baseline) "
        f"and trust is higher (member share {D2(at(A, 'Member Share', 20))} in year 20 against {D2(at(B, 'Member Share', 20))}); "
        f"once the plant is there its demand and customer push lift employment to a late peak of {J(aE)} in year {Y(aEt)}."
    )

    X = R("large_firm_exit.toml")
    xE, xEt = pk(X, "Employment")
    require(xE < bE, "large_firm_exit: employment peaks lower")
    out["large_firm_exit.toml"] = (
        f"The large plant closes in year 35. Its 600 jobs and the {I(at(X, 'Local Demand', 34))} supplier jobs it bought go over about two years; "
        f"laid-off staff found a burst of up to {I(pk(X, 'Layoff Spinoffs', 35, 40)[0])} spin-offs a year (against a trickle of {I(at(X, 'Corporate Spinoffs', 34))} from its normal turnover), "
        f"and horizontal trust rises without the dominant firm ({D2(fin(X, 'Trust'))} against {D2(fin(B, 'Trust'))} in year 80). "
        f"But the SMEs lose their customer and its push to upgrade: employment peaks lower ({J(xE)}, in year {Y(xEt)}) and ends at {J(fin(X, 'Employment'))} jobs in year 80 against {J(fin(B, 'Employment'))}."
    )

    N = R("networking_initiative.toml")
    require(
        fin(N, "Employment") < fin(B, "Employment"), "networking_initiative: fewer jobs in year 80"
    )
    require(
        abs(at(N, "Member Share", 30) - at(B, "Member Share", 30)) < 0.03,
        "networking_initiative: about the same membership by year 30",
    )
    out["networking_initiative.toml"] = (
        "A professional forum in the early growth phase (years 8-16), as the Professional Forum for Food and Drink in the Rogaland food cluster or the Skive carpenters' guild in Salling. "
        f"The baseline network already starts above its threshold, so the forum brings membership forward (member share {D2(at(N, 'Member Share', 16))} against {D2(at(B, 'Member Share', 16))} in year 16, "
        f"trust {D2(at(N, 'Trust', 16))} against {D2(at(B, 'Trust', 16))}) rather than creating it; by year 30 both have about the same membership ({D2(at(N, 'Member Share', 30))} and {D2(at(B, 'Member Share', 30))}), "
        f"and denser interaction speeds convergence: {J(fin(N, 'Employment'))} jobs in year 80 against {J(fin(B, 'Employment'))} "
        "(a forum has leverage only where it tips a network: checks/b8_innovation_modes.toml)."
    )

    P = R("public_venture_capital.toml")
    out["public_venture_capital.toml"] = (
        "Public co-investment of 20 million USD a year into regional venture funds for twenty years from year 5. "
        f"In this mixed (STI share 0.5) cluster venture capital binds mainly in maturity and the gain is small (peak employment {J(pk(P, 'Employment')[0])} against {J(bE)}; "
        f"cumulative employment +{100 * (mean(P, 'Employment') / mean(B, 'Employment') - 1):.2f} %); see the science-driven scenario for where venture capital pays most."
    )

    SDH = R("contrasts/science_driven_venture_capital_halved.toml")
    SDP = R("contrasts/science_driven_public_venture_capital.toml")
    EP = R("contrasts/engineering_based_public_venture_capital.toml")
    require(
        mean(SDP, "Employment") / mean(SD, "Employment")
        > mean(EP, "Employment") / mean(E, "Employment"),
        "science_driven: public venture capital raises employment more here",
    )
    out["science_driven.toml"] = (
        f"A science-driven (STI) profile, as in biotech: {I(100 * at(SD, 'VC Backed Share', 0))} % of new firms need venture capital, firms lean on university research and partners across the world, "
        f"and interact less locally (member share {D2(at(SD, 'Member Share', 20))} in year 20 against {D2(at(B, 'Member Share', 20))}). "
        f"Venture capital binds: halving the regional supply costs {I(100 * (1 - mean(SDH, 'Firm Births', 0, 60) / mean(SD, 'Firm Births', 0, 60)))} % of firm births and {I(100 * (1 - mean(SDH, 'Employment', 0, 60) / mean(SD, 'Employment', 0, 60)))} % of the jobs over years 0-60 "
        f"(it delays the growth of the firms; the peak, set by the market, falls by {P1(100 * (1 - pk(SDH, 'Employment')[0] / pk(SD, 'Employment')[0]))} %), "
        "and public venture capital raises cumulative employment more here than in an engineering-based cluster (behaviour 8)."
    )

    Wr = R("shock_with_renewal.toml")
    wt, wtt = mn(Wr, "Employment", 55, 80)
    wf, wft = mn(Wr, "Firms", 55, 80)
    require(
        Wr["Employment"].iloc[-1] > Wr["Employment"].iloc[-2], "shock_with_renewal: still rising"
    )
    gain = fin(Wr, "Employment") - fin(D, "Employment")

    def cost(**pr):
        return I(
            100
            * (fin(Wr, "Employment") - fin(R("shock_with_renewal.toml", **pr), "Employment"))
            / gain
        )

    c_links = cost(**{"global linkage support": 0})
    c_sk = cost(**{"education expansion": 0, "talent attraction": 0})
    c_vc = cost(**{"public venture coinvestment": 0})
    c_sp = cost(**{"university spinoff support": 0, "managerial training": 0})
    require(
        float(c_links) > max(float(c_sk), float(c_vc), float(c_sp)),
        "shock_with_renewal: the extra-regional links carry the recovery",
    )
    out["shock_with_renewal.toml"] = (
        "The same shock, met two years later by a renewal package for twenty years (57-77): university spin-off support with managerial training, 20 million USD a year of public venture capital, extra-regional linkages at four times the base, education up by half and talent attraction. "
        f"The trough is shallower ({J(wt)} jobs in year {Y(wtt)} against {J(tr)}) and employment recovers to {J(at(Wr, 'Employment', 77))} when the package ends and {J(fin(Wr, 'Employment'))} in year 80, "
        f"still rising on the cluster's own upgrading (relative technology {D2(fin(Wr, 'Relative Technology'))} against {D2(fin(D, 'Relative Technology'))} without the package); "
        f"firms recover from {I(wf)} to {I(fin(Wr, 'Firms'))}, so jobs per firm rise ({I(at(Wr, 'Employment', wft) / wf)} to {I(fin(Wr, 'Employment') / fin(Wr, 'Firms'))}). "
        f"The extra-regional links carry the recovery: taking them out of the package costs {c_links} % of its gain, the skills {c_sk} %, venture capital {c_vc} %, spin-offs and training {c_sp} %."
    )

    K = R("skilled_labour_programme.toml")
    EH = R("contrasts/education_halved.toml")
    VH = R("contrasts/venture_capital_halved.toml")
    ce = 100 * (1 - pk(EH, "Employment")[0] / bE)
    cv = 100 * (1 - pk(VH, "Employment")[0] / bE)
    require(ce > 3 * cv, "skilled_labour_programme: education far more than venture capital")
    out["skilled_labour_programme.toml"] = (
        "Education capacity up by half from year 5, and a talent attraction programme (three times the in-migration) for twenty years. "
        f"Skilled labour binds this cluster: employment in year 30 is {J(at(K, 'Employment', 30))} against {J(at(B, 'Employment', 30))}, peak employment rises from {J(bE)} to {J(pk(K, 'Employment')[0])}. "
        f"Halving education capacity would cost {I(ce)} % of peak employment, far more than halving venture capital ({P1(cv)} %): behaviour 5."
    )

    C = R("subcritical_network.toml")
    cE, cEt = pk(C, "Employment")
    out["subcritical_network.toml"] = (
        "The baseline cluster with low initial trust (0.15) and no network members: below the network's threshold. "
        f"The few firms that join find little value and leave, trust decays, and the cluster stays without a network (member share {D2(fin(C, 'Member Share'))} in year 80). "
        f"Without collaborative learning it reaches only {J(cE)} jobs (year {Y(cEt)}) and {J(fin(C, 'Employment'))} in year 80, against {J(bE)} and {J(fin(B, 'Employment'))} in the baseline."
    )

    CF = R("subcritical_network_with_forum.toml")

    def tips(i, d):
        return (
            fin(
                R(
                    "subcritical_network.toml",
                    **{
                        "networking initiative intensity": i,
                        "networking initiative start": 10,
                        "networking initiative duration": d,
                    },
                ),
                "Member Share",
            )
            >= 0.5
        )

    thr = {}
    for i in (1, 0.75, 0.5, 0.25):
        ok = [d for d in range(1, 11) if tips(i, d)]
        thr[i] = None if not ok else ok[0]
        if ok:
            require(
                all(tips(i, d) for d in range(ok[0], 11))
                and (ok[0] == 1 or not tips(i, ok[0] - 1)),
                f"subcritical_network_with_forum: one threshold duration at intensity {i}",
            )

    def tr_(i):
        return "not within ten years" if thr[i] is None else f"{thr[i] - 1}-{thr[i]}"

    require(not tips(1, 0.5), "subcritical_network_with_forum: a six-month forum does not tip")
    out["subcritical_network_with_forum.toml"] = (
        "The subcritical cluster with a networking initiative at full intensity for eight years (years 10-18; Norway's NCE and Sweden's VINNVAXT run up to ten). "
        f"Recruitment and interaction build trust over years and lift the network over its threshold: member share {D2(at(CF, 'Member Share', 16))} at year 16, {D2(at(CF, 'Member Share', 38))} twenty years after the forum ended and {D2(fin(CF, 'Member Share'))} in year 80, "
        f"with {J(pk(CF, 'Employment')[0])} jobs at the peak against {J(cE)} without the forum. "
        f"The threshold needs about {tr_(1)} years at full intensity (at 0.75: {tr_(0.75)}; at 0.5: {tr_(0.5)}; at 0.25: {tr_(0.25)}); a six-month forum at full intensity does not tip the cluster."
    )

    U = R("university_spinoffs.toml")
    UT = R("university_spinoffs_with_training.toml")
    U8 = R("university_spinoffs.toml", sp=0.125)
    UT8 = R("university_spinoffs_with_training.toml", sp=0.125)

    def share(d):
        a = mean(d, "Spinoff Maturation", 10, 30)
        b = mean(d, "Spinoff Failures", 10, 30)
        return a / (a + b)

    nU = integ(U8, "University Spinoffs", 5, 30)
    fU = integ(U8, "Spinoff Failures", 5, 30)
    fUT = integ(UT8, "Spinoff Failures", 5, 30)
    sU = share(U)
    half = (
        "only half of each cohort reaches maturity"
        if round(sU, 2) == 0.50
        else (
            "fewer than half of each cohort reaches maturity"
            if sU < 0.5
            else "only about half of each cohort reaches maturity"
        )
    )
    out["university_spinoffs.toml"] = (
        "Spin-off support at the regional university (five times the base spin-off rate) for 25 years from year 5, without managerial training. "
        f"Academic founders lack managerial skills: of the {I(nU)} spin-offs of years 5-30, {I(fU)} fail within the period, and {half} ({D2(sU)}); "
        f"employment in year 30 is {J(at(U, 'Employment', 30))} against {J(at(B, 'Employment', 30))}, but the market-bound cluster ends near the baseline's size ({J(fin(U, 'Employment'))} jobs against {J(fin(B, 'Employment'))})."
    )
    out["university_spinoffs_with_training.toml"] = (
        "The same spin-off support, with managerial training for the academic founders over the same years. "
        f"Spin-off failures over years 5-30 fall from {I(fU)} to {I(fUT)} of about {I(nU)} spin-offs, and the share of each cohort that reaches maturity rises from {D2(sU)} to {D2(share(UT))} (behaviour 6); "
        f"employment in year 30 is {J(at(UT, 'Employment', 30))}; the cluster's long-run size is still set by its market."
    )

    WF = R("weak_forum.toml")
    out["weak_forum.toml"] = (
        "The subcritical cluster with a forum below the threshold: half intensity for three years (years 10-13). "
        f"Membership rises briefly ({P1(pk(WF, 'Network Members')[0])} member firms at most) but trust cannot be built that fast; after the forum the members leave and the cluster stays without a network "
        f"(member share {D2(fin(WF, 'Member Share'))} in year 80, {J(fin(WF, 'Employment'))} jobs)."
    )

    return out


def rewrite(path: Path, new: str) -> str:
    """The file's text with its description replaced (the rest unchanged, checked)."""
    text = path.read_text(encoding="utf-8")
    key = '\ndescription = """' if not text.startswith('description = """') else 'description = """'
    if key not in text:
        raise ValueError(f"{path.name}: no triple-quoted description at the start of a line")
    i = text.index(key) + len(key)
    j = text.index('"""', i)
    if '"""' in new or "\\" in new:
        raise ValueError(f"{path.name}: a description cannot hold triple quotes or backslashes")
    out = text[:i] + new + text[j:]
    a, b = tomllib.loads(text), tomllib.loads(out)
    if b.get("description") != new:
        raise ValueError(f"{path.name}: the rewritten file does not read back the new description")
    a.pop("description")
    b.pop("description")
    if a != b:
        raise ValueError(f"{path.name}: rewriting the description changed other keys")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the descriptions")
    args = ap.parse_args()
    from lifecycle.model import load_model

    changed = 0
    for name, new in descriptions(load_model(MODEL)).items():
        path = SCENARIOS / name
        old = tomllib.loads(path.read_text(encoding="utf-8"))["description"]
        if old == new:
            continue
        changed += 1
        ow, nw = old.split(" "), new.split(" ")
        ops = difflib.SequenceMatcher(None, ow, nw).get_opcodes()
        print(f"{name}:")
        for tag, a, b, c, d in ops:
            if tag != "equal":
                print(f"    {' '.join(ow[a:b])!r} -> {' '.join(nw[c:d])!r}")
        if args.write:
            path.write_text(rewrite(path, new), encoding="utf-8")
    print(f"{changed} description(s) {'rewritten' if args.write else 'differ'}")
    if changed and not args.write:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

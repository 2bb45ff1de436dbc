"""`mobsim init NAME`: a commented starting scenario for a new district, which validates as written.

Every value is an assumption to replace with the district's own figures; the comments say what each
means and where the domain's sources give a figure. Keys not written keep the schema's defaults
(docs/scenarios.md lists them all).
"""

from __future__ import annotations

from pathlib import Path

from sim.files import atomic_write_text

TEMPLATE = """\
# {name}: a starting scenario written by `mobsim init`. Replace every value with your district's figures.
# Check it with `mobsim validate {file}`, draw it with `mobsim map {file}`, run it with `mobsim run {file}`.
# Every key is documented, with its unit and default, in docs/scenarios.md; keys left out keep their defaults.
name: {name}
description: "{name}: describe the district, its hazard and what this scenario assumes"
lang: {lang}                 # language of the outputs: en or zh
seed: 1                  # master seed: the same seed gives the same incidents (paired comparisons)
replications: 10         # independent replications; more give narrower confidence intervals
horizon_min: 4320        # incident period: 3 days
drain_min: 1440          # one more day with no new incidents, so open ones can close

territory:
  source: generated      # or csv with csv_file: grids.csv (grid,town,community,kind,households,x_km,y_km,key_area)
  generator:
    towns: 3
    communities: 24
    grids: 120           # Hangzhou (003): 100-150 households a grid in a village, 200-300 in a city community
    kind_mix: {{rural: 0.5, community: 0.3, building: 0.1, commercial: 0.05, industrial: 0.05}}
    extent_km: 20
    key_area_share: 0.05 # share of grids that are key areas (embankments, chemical plants, ...)
  travel: {{speed_kmh: 30, detour_factor: 1.3, setup_min: 5}}   # assumption: no source gives travel times

forces:
  grid_workers:
    full_time_per_grid: 1      # one full-time grid worker (holder A) per grid
    part_time: 120             # part-time workers; with ab_backup they take over an absent holder's post (AB posts)
    ab_backup: true
  teams:                       # the "1+1+N" emergency support and volunteer teams
    town: {{per_unit: 1, members: 20}}
    village: {{per_unit: 1, members: 8}}
  resident_teams: {{members_per_village: 3}}   # Gaoming (000): at least 3 people per village, there twice a week
  agencies:
    count: 10                  # district agencies, enterprises and institutions
    staff_each: 60
    team_ratio: 0.2            # the rule: a standing emergency team of at least 20 % of staff
  party_members:
    total: 1500                # party members registered where they live; they report in place after activation
    report_prob: 0.8           # assumption
  temporary_branches: {{enabled: true, min_members: 3}}   # a party branch needs at least 3 full members

incidents:
  background: {{rate_per_household_per_day: 0.002}}       # assumption: everyday issues per household
  hazards:
    - name: typhoon rainstorm
      start_min: 1800          # day 2, 06:00
      duration_min: 720
      rate_per_hour: 6         # assumption: incidents an hour while the hazard lasts
      towns: []                # empty: the whole district; or name towns (T01, ...) or grids

reporting:
  peacetime: {{route: [community, town], hop_delay_min: 20, compliance: 0.95}}   # assumption: no source gives delays
  emergency: {{route: [], hop_delay_min: 5, compliance: 1.0}}                    # flat command: straight to the town

switch:
  activation: threshold        # or scheduled (with scheduled_min) or never
  threshold: {{severity: major, count: 3, window_min: 120}}
  decision_delay_min: 30

dispatch: {{policy: priority_nearest}}
"""


def template_text(name: str, file: str, lang: str = "en") -> str:
    return TEMPLATE.format(name=name, file=file, lang=lang)


def write_template(path: str | Path, name: str, lang: str = "en") -> Path:
    p = Path(path)
    atomic_write_text(p, template_text(name, str(p), lang))
    return p

"""Presets: the `sources:` mapping of two real systems' exports, written out from their specs.

``sources: {preset: hmis, path: data/hmis/}`` expands, before validation, into ordinary
per-table sources (``columns:``, ``values:`` maps, lookups, ``other_columns: drop``), so a
preset is read by exactly the same import as a hand-written mapping, and
``decisionframe schema`` prints each expansion for anyone who wants to copy and adapt it.

What the mappings rest on:

- HMIS: HUD's *HMIS CSV Format Specifications FY2024* (files Client.csv, Enrollment.csv,
  Exit.csv, Services.csv, Project.csv; column names as written there; dates yyyy-mm-dd)
  and its Appendix B lists: 3.12.1 Living Situation / Destination (400-series codes are
  "Permanent"), 2.02.6 ProjectType, 1.4 RecordType, and the TypeProvided list of each
  RecordType (P1.2, R14.2, W1.2, V2.2, W2.2, V3.3, P2.2, 4.14, V8.1, C2.2).
- Zendesk: the ticket CSV export of Zendesk Support (Admin Center > Account > Tools >
  Reports > Export, "CSV export"; column titles as the export writes them: Id, Requester id,
  Created at, Solved at, Via, Group, Status, Satisfaction Score, Reopens, ...).
"""

from __future__ import annotations

from typing import Any

PRESETS = ("hmis", "zendesk")

# HMIS CSV FY2024, Appendix B 3.12.1: the Destination codes and HUD's classification.
# Permanent (400s) -> 1. Everything else -> 0: homeless (100s), institutional (200s),
# temporary (300s) and "other" (8, 9, 17, 24, 30, 37, 99) exits, as HUD's System
# Performance Measure 7 counts exits to permanent destinations among all exits.
HMIS_PERMANENT_DESTINATIONS = ("410", "411", "421", "422", "423", "426", "435")
HMIS_OTHER_DESTINATIONS = (
    "101",  # emergency shelter
    "116",  # place not meant for habitation
    "118",  # safe haven
    "204",  # psychiatric facility
    "205",  # substance use treatment facility or detox
    "206",  # hospital (non-psychiatric)
    "207",  # jail, prison or juvenile detention
    "215",  # foster care
    "225",  # long-term care or nursing home
    "302",  # transitional housing for homeless persons
    "312",  # staying with family, temporary tenure
    "313",  # staying with friends, temporary tenure
    "314",  # hotel or motel without emergency shelter voucher
    "327",  # HOPWA TH
    "329",  # residential project or halfway house
    "332",  # host home (non-crisis)
    "335",  # a family member's room, apartment or house
    "336",  # a friend's room, apartment or house
    "8",  # client doesn't know
    "9",  # client prefers not to answer
    "17",  # other
    "24",  # deceased
    "30",  # no exit interview completed
    "37",  # worker unable to determine
    "99",  # data not collected
)
HMIS_PROJECT_TYPES = {  # Appendix B 2.02.6 ProjectType (FY2024)
    "0": "es_entry_exit",
    "1": "es_night_by_night",
    "2": "transitional_housing",
    "3": "permanent_supportive_housing",
    "4": "street_outreach",
    "6": "services_only",
    "7": "other",
    "8": "safe_haven",
    "9": "ph_housing_only",
    "10": "ph_housing_with_services",
    "11": "day_shelter",
    "12": "homelessness_prevention",
    "13": "rapid_rehousing",
    "14": "coordinated_entry",
}
# Appendix B 1.4 RecordType (FY2024): the kind of each row of Services.csv.
HMIS_RECORD_TYPES = {
    "141": "path_service",
    "142": "rhy_service_connections",
    "143": "hopwa_service",
    "144": "ssvf_service",
    "151": "hopwa_financial_assistance",
    "152": "ssvf_financial_assistance",
    "161": "path_referral",
    "200": "bed_night",
    "210": "hud_vash_oth_voucher_tracking",
    "300": "c2_moving_on_assistance",
}
# TypeProvided's list depends on RecordType (FY2024 Services.csv): the codes of each.
HMIS_TYPES_PROVIDED = {
    "141": (*range(1, 13), 14),  # P1.2 PATH services
    "142": (2, 5, 6, 7, 8, 10, 12, 13, 14, 17, 18, 26, 27, 28, 29),  # R14.2 RHY services
    "143": tuple(range(1, 15)),  # W1.2 HOPWA services
    "144": tuple(range(1, 10)),  # V2.2 SSVF services
    "151": (1, 2, 3, 4, 7),  # W2.2 HOPWA financial assistance
    "152": (1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18),  # V3.3 SSVF financial
    "161": tuple(range(1, 12)),  # P2.2 PATH referrals
    "200": (200,),  # 4.14 bed night
    "210": tuple(range(1, 13)),  # V8.1 HUD-VASH voucher tracking
    "300": tuple(range(1, 6)),  # C2.2 Moving On assistance
}
HMIS_AGE_BANDS = [18, 25, 35, 45, 55, 65]  # under 18, 18-24, ..., 55-64, 65+
# Appendix B 1.8 No/Yes/Reasons for Missing Data (VeteranStatus) and 1.7 No/Yes/Missing
# (the FY2024 race and gender columns: 0, 1, 99).
_NO_YES_MISSING = {"0": "no", "1": "yes", "8": None, "9": None, "99": None}
_FLAG = {"0": "0", "1": "1", "99": None}
# Coded columns refuse a code outside their HUD list (``other_values: refuse``): an
# unlisted Destination used to load as its number (440 became a value of 440).
_REFUSE: dict[str, Any] = {"other_values": "refuse"}


def _hmis(folder: str, options: dict[str, Any]) -> dict[str, Any]:
    def at(name: str) -> str:
        return f"{folder.rstrip('/')}/{name}" if folder.strip() else name

    enrollment = at("Enrollment.csv")
    project = at("Project.csv")
    to_project = {"path": enrollment, "key": "EnrollmentID", "value": "ProjectID"}
    to_type = {"path": project, "key": "ProjectID", "value": "ProjectType"}
    common = {"other_columns": "drop", "skip_rows_with": ["DateDeleted"]}
    band: dict[str, Any] = {"column": "DOB", "age_bands": HMIS_AGE_BANDS}
    if options.get("as_of") is not None:
        band["as_of"] = options["as_of"]
    else:
        # Ages are counted to the export's own end date (Export.csv, ExportEndDate), so the
        # same export gives the same ages whenever it is imported.
        band["as_of_from"] = {"path": at("Export.csv"), "column": "ExportEndDate"}
    flags = {
        "woman": "Woman",
        "man": "Man",
        "non_binary": "NonBinary",
        "transgender": "Transgender",
        "am_ind_ak_native": "AmIndAKNative",
        "asian": "Asian",
        "black_af_american": "BlackAfAmerican",
        "hispanic_latinaeo": "HispanicLatinaeo",
        "mid_east_n_african": "MidEastNAfrican",
        "native_hi_pacific": "NativeHIPacific",
        "white": "White",
    }
    return {
        "clients": {
            "path": at("Client.csv"),
            **common,
            "columns": {
                "client_id": "PersonalID",
                "enrolled_on": {
                    "column": "PersonalID",
                    "lookup": [{"path": enrollment, "key": "PersonalID", "value": "EntryDate"}],
                },
                "age_band": band,
                "veteran": {
                    "column": "VeteranStatus",
                    "values": dict(_NO_YES_MISSING),
                    **_REFUSE,
                },
                **{
                    target: {"column": column, "values": dict(_FLAG), **_REFUSE}
                    for target, column in flags.items()
                },
            },
        },
        "touchpoints": {
            "path": at("Services.csv"),
            **common,
            "columns": {
                "touchpoint_id": "ServicesID",
                "client_id": "PersonalID",
                "started_at": "DateProvided",
                # Services are given where the client is: a bed night, a meal, a visit.
                "channel": {"column": "RecordType", "values": {"*": "in_person"}},
                "need_id": "EnrollmentID",
                "unit": {"column": "EnrollmentID", "lookup": [to_project]},
                "project_type": {
                    "column": "EnrollmentID",
                    "lookup": [to_project, to_type],
                    "values": dict(HMIS_PROJECT_TYPES),
                    **_REFUSE,
                },
                # TypeProvided is checked with its RecordType ('141:1'); the code is kept.
                "service": {
                    "column": "TypeProvided",
                    "codes_by": "RecordType",
                    "values": {
                        f"{record}:{code}": str(code)
                        for record, codes in HMIS_TYPES_PROVIDED.items()
                        for code in codes
                    },
                    **_REFUSE,
                },
                "record_type": {
                    "column": "RecordType",
                    "values": {code: code for code in HMIS_RECORD_TYPES},
                    **_REFUSE,
                },
            },
        },
        "outcomes": {
            "path": at("Exit.csv"),
            **common,
            "columns": {
                "client_id": "PersonalID",
                "outcome": {"column": "Destination", "values": {"*": "housed"}},
                "value": {
                    "column": "Destination",
                    "values": {
                        **dict.fromkeys(HMIS_PERMANENT_DESTINATIONS, 1),
                        **dict.fromkeys(HMIS_OTHER_DESTINATIONS, 0),
                    },
                    **_REFUSE,
                },
                "measured_on": "ExitDate",
                "destination": "Destination",
                "unit": {"column": "EnrollmentID", "lookup": [to_project]},
            },
        },
    }


# Zendesk's "Via" (the ticket's channel) onto decisionframe's channels.
ZENDESK_CHANNELS = {
    "web form": "web",
    "web widget": "web",
    "help center": "web",
    "web service": "web",
    "api": "web",
    "chat": "web",
    "messaging": "web",
    "native messaging": "web",
    "email": "email",
    "mail": "email",
    "phone call (inbound)": "phone",
    "phone call (outbound)": "phone",
    "voicemail": "phone",
    "text": "phone",
    "sms": "phone",
    "mobile sdk": "mobile",
    "mobile": "mobile",
    "whatsapp": "mobile",
    "twitter": "social",
    "x corp": "social",
    "facebook": "social",
    "facebook messenger": "social",
    "instagram direct": "social",
}
ZENDESK_STATUSES = {  # a need is met once the ticket is solved (closed follows solved)
    "new": False,
    "open": False,
    "pending": False,
    "hold": False,
    "on-hold": False,
    "solved": True,
    "closed": True,
}
ZENDESK_SATISFACTION = {"good": 1, "bad": 0, "offered": None, "unoffered": None}


def _zendesk(path: str, options: dict[str, Any]) -> dict[str, Any]:
    del options
    return {
        # One row per ticket: the requesters, each loaded once.
        "clients": {
            "path": path,
            "other_columns": "drop",
            "repeated_rows": "collapse",
            "columns": {"client_id": "Requester id"},
        },
        # Each ticket is one contact and one need (a reopened ticket is the same need).
        "touchpoints": {
            "path": path,
            "other_columns": "drop",
            "columns": {
                "touchpoint_id": "Id",
                "client_id": "Requester id",
                "started_at": "Created at",
                "channel": {"column": "Via", "values": dict(ZENDESK_CHANNELS)},
                "unit": "Group",
                "need_id": "Id",
                "resolved": {"column": "Status", "values": dict(ZENDESK_STATUSES)},
                "status": "Status",
                "solved_at": "Solved at",
                "satisfaction": {
                    "column": "Satisfaction Score",
                    "values": dict(ZENDESK_SATISFACTION),
                },
                "reopens": "Reopens",
            },
        },
    }


_BUILDERS = {"hmis": _hmis, "zendesk": _zendesk}
PRESET_KEYS = {
    "hmis": ("preset", "path", "as_of", "values", "on_error"),
    "zendesk": ("preset", "path", "values", "on_error"),
}


def is_preset(value: Any) -> bool:
    return isinstance(value, dict) and "preset" in value


def expand_preset(value: dict[str, Any]) -> dict[str, Any]:
    """The per-table sources a ``{preset: ..., path: ...}`` block stands for.

    Raises ValueError (located at ``sources`` by the config loader) for an unknown preset
    or key.
    """
    name = str(value.get("preset", "")).strip().lower()
    if name not in _BUILDERS:
        raise ValueError(
            f"unknown preset '{value.get('preset')}'; presets are: {', '.join(PRESETS)}"
        )
    extra = sorted(set(value) - set(PRESET_KEYS[name]))
    if extra:
        raise ValueError(
            f"preset {name} takes only {', '.join(PRESET_KEYS[name])}; remove {', '.join(extra)}"
        )
    path = value.get("path")
    if not isinstance(path, str) or not path.strip():
        example = "data/hmis/ (the export's folder)" if name == "hmis" else "data/tickets.csv"
        raise ValueError(f"preset {name} needs `path:`, e.g. {example}")
    sources = _BUILDERS[name](path.strip(), value)
    _extend_values(name, sources, value.get("values"))
    if value.get("on_error") is not None:
        for source in sources.values():
            source["on_error"] = value["on_error"]  # validated as any source's on_error
    return sources


def coded_columns(sources: dict[str, Any]) -> dict[str, str]:
    """Target column -> file column, for every column of an expansion with a ``values`` list."""
    return {
        target: mapped["column"]
        for source in sources.values()
        for target, mapped in source["columns"].items()
        if isinstance(mapped, dict) and mapped.get("values") and "*" not in mapped["values"]
    }


def _extend_values(name: str, sources: dict[str, Any], extra: Any) -> None:
    """Merge a preset block's ``values:`` ({value: {'440': 1}}) into its coded columns.

    This is how an organization accepts a code HUD's list lacks (a local or newer code):
    deliberately, in decisionframe.yaml, where a reviewer sees it; an entry also replaces
    the preset's own reading of a listed code. Keys are target columns, as in any source.
    """
    if extra is None:
        return
    coded = coded_columns(sources)
    listed = ", ".join(f"{t} ({c})" for t, c in coded.items())
    if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
        raise ValueError(
            f"preset {name}: `values:` maps a column to its extra codes, e.g. "
            f"{{value: {{'440': 1}}}}; columns with codes: {listed}"
        )
    unknown = sorted(str(t) for t in set(extra) - set(coded))
    if unknown:
        raise ValueError(
            f"preset {name}: `values:` names {', '.join(unknown)}, not a coded column of the "
            f"preset; columns with codes: {listed}"
        )
    for source in sources.values():
        for target, mapped in source["columns"].items():
            if target in extra and coded.get(target) == mapped.get("column"):
                mapped["values"].update({_code(k): v for k, v in extra[target].items()})


def _code(key: Any) -> str:
    """A YAML key as the code it stands for (an unquoted 440 is read as a number)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


__all__ = ["PRESETS", "PRESET_KEYS", "coded_columns", "expand_preset", "is_preset"]

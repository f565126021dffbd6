"""Small exports written from the public specifications the presets follow.

HMIS: the five files of HUD's HMIS CSV Format Specifications FY2024 this project reads,
with their column names as the spec writes them (Client.csv with names, SSNs and dates
of birth that must never be imported). Zendesk: a ticket CSV export with Zendesk
Support's column titles. Every identifying value is recorded so tests can look for it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

CLIENT_COLUMNS = [
    "PersonalID",
    "FirstName",
    "MiddleName",
    "LastName",
    "NameSuffix",
    "NameDataQuality",
    "SSN",
    "SSNDataQuality",
    "DOB",
    "DOBDataQuality",
    "AmIndAKNative",
    "Asian",
    "BlackAfAmerican",
    "HispanicLatinaeo",
    "MidEastNAfrican",
    "NativeHIPacific",
    "White",
    "RaceNone",
    "AdditionalRaceEthnicity",
    "Woman",
    "Man",
    "NonBinary",
    "CulturallySpecific",
    "Transgender",
    "Questioning",
    "DifferentIdentity",
    "GenderNone",
    "DifferentIdentityText",
    "VeteranStatus",
    "YearEnteredService",
    "YearSeparated",
    "WorldWarII",
    "KoreanWar",
    "VietnamWar",
    "DesertStorm",
    "AfghanistanOEF",
    "IraqOIF",
    "IraqOND",
    "OtherTheater",
    "MilitaryBranch",
    "DischargeStatus",
    "DateCreated",
    "DateUpdated",
    "UserID",
    "DateDeleted",
    "ExportID",
]
ENROLLMENT_COLUMNS = [
    "EnrollmentID",
    "PersonalID",
    "ProjectID",
    "EntryDate",
    "HouseholdID",
    "RelationshipToHoH",
    "EnrollmentCoC",
    "LivingSituation",
    "RentalSubsidyType",
    "LengthOfStay",
    "LOSUnderThreshold",
    "PreviousStreetESSH",
    "DateToStreetESSH",
    "TimesHomelessPastThreeYears",
    "MonthsHomelessPastThreeYears",
    "DisablingCondition",
    "DateOfEngagement",
    "MoveInDate",
    "DateCreated",
    "DateUpdated",
    "UserID",
    "DateDeleted",
    "ExportID",
]
EXIT_COLUMNS = [
    "ExitID",
    "EnrollmentID",
    "PersonalID",
    "ExitDate",
    "Destination",
    "DestinationSubsidyType",
    "OtherDestination",
    "HousingAssessment",
    "SubsidyInformation",
    "ProjectCompletionStatus",
    "DateCreated",
    "DateUpdated",
    "UserID",
    "DateDeleted",
    "ExportID",
]
SERVICES_COLUMNS = [
    "ServicesID",
    "EnrollmentID",
    "PersonalID",
    "DateProvided",
    "RecordType",
    "TypeProvided",
    "OtherTypeProvided",
    "MovingOnOtherType",
    "SubTypeProvided",
    "FAAmount",
    "FAStartDate",
    "FAEndDate",
    "ReferralOutcome",
    "DateCreated",
    "DateUpdated",
    "UserID",
    "DateDeleted",
    "ExportID",
]
PROJECT_COLUMNS = [
    "ProjectID",
    "OrganizationID",
    "ProjectName",
    "ProjectCommonName",
    "OperatingStartDate",
    "OperatingEndDate",
    "ContinuumProject",
    "ProjectType",
    "HousingType",
    "RRHSubType",
    "ResidentialAffiliation",
    "TargetPopulation",
    "HOPWAMedAssistedLivingFac",
    "PITCount",
    "DateCreated",
    "DateUpdated",
    "UserID",
    "DateDeleted",
    "ExportID",
]

FIRST = ("Maria", "James", "Aisha", "Dmitri", "Keisha", "Tomás", "Mei", "Oluwaseun")
LAST = ("Garcia", "Okafor", "Nguyen", "Kowalski", "Haddad", "Johansson", "Reyes", "Brennan")
# FY2024 Export.csv (the export's own record: who, which period, which spec version).
EXPORT_COLUMNS = [
    "ExportID",
    "SourceType",
    "SourceID",
    "SourceName",
    "SourceContactFirst",
    "SourceContactLast",
    "SourceContactPhone",
    "SourceContactExtension",
    "SourceContactEmail",
    "ExportDate",
    "ExportStartDate",
    "ExportEndDate",
    "SoftwareName",
    "SoftwareVersion",
    "CSVVersion",
    "ExportPeriodType",
    "ExportDirective",
    "HashStatus",
    "ImplementationID",
]
PROJECTS = {"P-ES": "1", "P-RRH": "13", "P-PSH": "3"}  # ProjectID -> ProjectType
DESTINATIONS = ("435", "410", "101", "116", "302", "422", "99", "207")


@dataclass
class HmisExport:
    folder: Path
    secrets: list[str] = field(default_factory=list)  # names, SSNs, DOBs, raw PersonalIDs
    clients: int = 0
    services: int = 0
    exits: int = 0
    housed: int = 0


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_hmis_export(
    folder: Path, *, clients: int = 40, deleted: int = 1, export_end: str | None = "2025-09-30"
) -> HmisExport:
    """An HMIS CSV export of ``clients`` people; the last ``deleted`` have DateDeleted set.

    Export.csv (FY2024 section "Export.csv") is written with ``export_end`` as its
    ExportEndDate, or left out when that is None.
    """
    folder.mkdir(parents=True, exist_ok=True)
    export = HmisExport(folder)
    stamp = "2025-01-02 10:00:00"
    base = {"DateCreated": stamp, "DateUpdated": stamp, "UserID": "U1", "ExportID": "E1"}
    projects = [
        {
            **base,
            "ProjectID": pid,
            "OrganizationID": "O1",
            "ProjectName": f"Project {pid}",
            "OperatingStartDate": "2020-01-01",
            "ContinuumProject": "1",
            "ProjectType": ptype,
            "HousingType": "1",
        }
        for pid, ptype in PROJECTS.items()
    ]
    people, enrollments, exits, services = [], [], [], []
    for i in range(clients):
        pid = f"PID-{900_000 + 37 * i}"
        first, last = FIRST[i % len(FIRST)], f"{LAST[i % len(LAST)]}{i}"
        ssn = f"{512 + i:03d}{44 + i % 50:02d}{6000 + i:04d}"
        born = date(1945, 1, 1) + timedelta(days=(611 * i + 13) % 28_000)
        dob = born.isoformat()
        gone = i >= clients - deleted
        export.secrets += [first, last, ssn, dob, pid]
        people.append(
            {
                **base,
                "PersonalID": pid,
                "FirstName": first,
                "LastName": last,
                "NameDataQuality": "1",
                "SSN": ssn,
                "SSNDataQuality": "1",
                "DOB": dob,
                "DOBDataQuality": "1",
                "White": str(i % 2),
                "BlackAfAmerican": str((i + 1) % 2),
                "Woman": str(i % 2),
                "Man": str((i + 1) % 2),
                "VeteranStatus": ("0", "1", "99")[i % 3],
                "DifferentIdentityText": f"free text of {first}",
                "DateDeleted": "2025-02-01 09:00:00" if gone else "",
            }
        )
        project = list(PROJECTS)[i % len(PROJECTS)]
        entry = date(2024, 3, 1) + timedelta(days=3 * i)
        enrollment = f"EN{i:04d}"
        enrollments.append(
            {
                **base,
                "EnrollmentID": enrollment,
                "PersonalID": pid,
                "ProjectID": project,
                "EntryDate": entry.isoformat(),
                "HouseholdID": f"H{i:04d}",
                "RelationshipToHoH": "1",
                "LivingSituation": "116",
                "DateDeleted": "2025-02-01 09:00:00" if gone else "",
            }
        )
        for k in range(1 + i % 3):
            services.append(
                {
                    **base,
                    "ServicesID": f"S{i:04d}-{k}",
                    "EnrollmentID": enrollment,
                    "PersonalID": pid,
                    "DateProvided": (entry + timedelta(days=7 * k)).isoformat(),
                    "RecordType": "200" if project == "P-ES" else "144",
                    # 4.14: a bed night's TypeProvided is 200; V2.2 SSVF services 1-9.
                    "TypeProvided": "200" if project == "P-ES" else str(1 + k % 4),
                    "OtherTypeProvided": f"note about {first}" if k == 0 else "",
                    "DateDeleted": "2025-02-01 09:00:00" if gone else "",
                }
            )
        destination = DESTINATIONS[i % len(DESTINATIONS)]
        exits.append(
            {
                **base,
                "ExitID": f"X{i:04d}",
                "EnrollmentID": enrollment,
                "PersonalID": pid,
                "ExitDate": (entry + timedelta(days=90)).isoformat(),
                "Destination": destination,
                "OtherDestination": f"with {first}'s aunt" if i % 5 == 0 else "",
                "DateDeleted": "2025-02-01 09:00:00" if gone else "",
            }
        )
        if not gone:
            export.clients += 1
            export.services += 1 + i % 3
            export.exits += 1
            export.housed += destination.startswith("4")
    _write(folder / "Client.csv", CLIENT_COLUMNS, people)
    _write(folder / "Enrollment.csv", ENROLLMENT_COLUMNS, enrollments)
    _write(folder / "Exit.csv", EXIT_COLUMNS, exits)
    _write(folder / "Services.csv", SERVICES_COLUMNS, services)
    _write(folder / "Project.csv", PROJECT_COLUMNS, projects)
    if export_end is not None:
        export_row = {
            "ExportID": "E1",
            "SourceType": "1",
            "SourceName": "Test CoC HMIS",
            "SourceContactFirst": "Ida",
            "SourceContactLast": "Marsh",
            "ExportDate": "2025-10-02 06:00:00",
            "ExportStartDate": "2024-10-01",
            "ExportEndDate": export_end,
            "SoftwareName": "Test",
            "CSVVersion": "2024 v1.2",
            "ExportPeriodType": "3",
            "ExportDirective": "2",
            "HashStatus": "1",
        }
        _write(folder / "Export.csv", EXPORT_COLUMNS, [export_row])
    return export


ZENDESK_COLUMNS = [
    "Summation column",
    "Id",
    "Requester",
    "Requester id",
    "Requester external id",
    "Requester email",
    "Requester domain",
    "Submitter",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Organization",
    "Due date",
    "Initially assigned at",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Group stations",
    "Assignee stations",
    "Reopens",
    "Replies",
    "First reply time in minutes",
    "First resolution time in minutes",
    "Full resolution time in minutes",
    "Agent wait time in minutes",
    "Requester wait time in minutes",
    "On hold time in minutes",
]
VIAS = ("Web form", "Email", "Phone call (inbound)", "Chat", "Mobile SDK", "Facebook")
STATUSES = ("Solved", "Closed", "Open", "Pending")
SCORES = ("Good", "Bad", "Offered", "Unoffered")


@dataclass
class TicketExport:
    path: Path
    secrets: list[str] = field(default_factory=list)  # requester names, emails, ids, subjects
    tickets: int = 0
    requesters: int = 0


def write_zendesk_export(path: Path, *, tickets: int = 60, requesters: int = 20) -> TicketExport:
    path.parent.mkdir(parents=True, exist_ok=True)
    export = TicketExport(path, tickets=tickets, requesters=requesters)
    rows = []
    for i in range(tickets):
        r = i % requesters
        name = f"{FIRST[r % len(FIRST)]} {LAST[r % len(LAST)]}{r}"
        email = f"person{r}@example.org"
        requester_id = f"{3_600_000_000 + 7919 * r}"
        subject = f"Invoice question from {name}"
        export.secrets += [name, email, requester_id, subject]
        created = f"2025-03-{1 + i % 28:02d} {8 + i % 9:02d}:{(7 * i) % 60:02d}:00"
        solved = STATUSES[i % 4] in ("Solved", "Closed")
        rows.append(
            {
                "Id": str(1000 + i),
                "Requester": name,
                "Requester id": requester_id,
                "Requester email": email,
                "Requester domain": "example.org",
                "Submitter": name,
                "Assignee": "Agent Smith",
                "Group": ("Billing", "Support")[i % 2],
                "Subject": subject,
                "Tags": "invoice billing",
                "Status": STATUSES[i % 4],
                "Priority": "Normal",
                "Via": VIAS[i % len(VIAS)],
                "Ticket type": "Question",
                "Created at": created,
                "Updated at": created,
                "Solved at": created if solved else "",
                "Satisfaction Score": SCORES[i % 4],
                "Reopens": str(i % 3),
                "Replies": str(1 + i % 4),
                "First reply time in minutes": str(10 + i),
                "Full resolution time in minutes": str(60 + i) if solved else "",
                "Requester wait time in minutes": str(30 + i),
            }
        )
    _write(path, list(ZENDESK_COLUMNS), rows)
    return export

"""Voice of the customer: feedback themes, asks, emerging needs, profiles."""

from decisionframe.voice.analyze import (
    THEMES_TABLE,
    Ask,
    EmergingNeed,
    Theme,
    VoiceResult,
    analyze_voice,
    read_comments,
    save_assignments,
)
from decisionframe.voice.scrub import scrub

__all__ = [
    "THEMES_TABLE",
    "Ask",
    "EmergingNeed",
    "Theme",
    "VoiceResult",
    "analyze_voice",
    "read_comments",
    "save_assignments",
    "scrub",
]

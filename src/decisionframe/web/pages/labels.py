"""Staff labelling: a queue of contacts to tag value or failure demand (with a reason) and
of comments to tag with themes, most uncertain first; agreement between staff.

Keyboard-first (static/labels.js): digits tag, j/k move, Enter saves a comment's themes.
The queue itself (what "uncertain" means, what is shown) is ``labels.queue``; storing a
label with who and when, and its audit-log row, is ``labels.records``. Labelling needs
the labeller role and a CSRF token; agreement is for every signed-in role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from decisionframe.accounts import Role
from decisionframe.config import DemandRules
from decisionframe.errors import DecisionframeError
from decisionframe.labels import queue as q
from decisionframe.labels.agreement import Agreement, agreement_of
from decisionframe.labels.records import (
    COMMENT,
    CONTACT,
    CONTACT_TAGS,
    KINDS,
    add_label,
    comment_label,
    contact_tag,
    latest_labels,
)
from decisionframe.runs import latest_run
from decisionframe.store.base import Store
from decisionframe.web.auth import Principal, require_write
from decisionframe.web.pages import page
from decisionframe.web.render import render, wants_json
from decisionframe.web.state import WebState

UNCERTAIN = {
    CONTACT: (
        "Uncertain means the system's probability that the contact is failure demand is "
        "close to one half (entropy near 1 bit). Where the rules' default call decides a "
        "contact ('new request'), that probability comes from the text classifier trained "
        "on staff labels of the reason text; elsewhere, and before 30 labels of both kinds "
        "exist (rules only), it is the share of staff-labelled contacts of the same rule "
        "that staff called failure ((failures + 1) / (labelled + 2)), so a rule nobody has "
        "checked yet counts as a coin toss. One contact per reason text comes before a "
        "second of any."
    ),
    COMMENT: (
        "Uncertain means a theme the last voice run gave the comment holds it with a "
        "strength near one half (entropy near 1 bit); comments the voice run gave no theme "
        "come after, in a fixed shuffled order."
    ),
}


class TagKey(BaseModel):
    key: str
    label: str
    reason: str


class LabelQueue(BaseModel):
    kind: str
    uncertain_means: str
    classifier: bool  # contacts: the text classifier took part (False: rules only)
    contacts: list[q.ContactItem]
    comments: list[q.CommentItem]
    tags: list[TagKey]
    themes: list[q.ThemeKey]
    mine: list[q.MyLabel]


class AgreementPage(BaseModel):
    contacts: Agreement
    comments: Agreement


class LabelGiven(BaseModel):
    kind: str
    item_id: str
    label: str
    reason: str | None
    username: str
    labelled_at: str


def _kind(request: Request) -> str:
    kind = request.query_params.get("kind", CONTACT)
    if kind not in KINDS:
        raise HTTPException(400, "kind is 'contact' or 'comment'")
    return kind


MAX_LIMIT = 500


def _limit(request: Request) -> int:
    """How many items to show (``?limit=``, 1 to 500; 25 by default)."""
    try:
        return max(1, min(MAX_LIMIT, int(request.query_params.get("limit", "25"))))
    except ValueError:
        raise HTTPException(400, "limit is a whole number from 1 to 500") from None


def _theme_keys(request: Request, store: Store) -> list[q.ThemeKey]:
    saved = latest_run(store, "voice")
    project = request.app.state.web.project()
    return q.theme_keys(project.config.voice, saved.result if saved else None)


def _contact_scores(state: WebState, store: Store, rules: DemandRules) -> q.ContactScores | None:
    """The app's last contact scores while their version holds (no import, rules edit or
    label since), else fresh ones, kept for the next request."""
    version = q.scores_version(store, rules)
    kept = state.cache.get("contact-scores")
    if kept is not None and kept.version == version:
        return kept  # type: ignore[no-any-return]
    scores = q.contact_scores(store, rules)
    state.cache["contact-scores"] = scores
    return scores


def build_router() -> APIRouter:
    router = APIRouter()

    @page(
        router,
        "/labels",
        role=Role.labeller,
        template="labels.html.j2",
        model=LabelQueue,
        nav="Labelling",
    )
    def labels(request: Request, principal: Principal) -> LabelQueue:
        """The labelling queue (``?kind=contact`` or ``comment``, ``&limit=``), most uncertain
        first."""
        kind, limit = _kind(request), _limit(request)
        state = request.app.state.web
        project = state.project()
        contacts: list[q.ContactItem] = []
        comments: list[q.CommentItem] = []
        classifier = False
        with state.read() as store:
            themes = _theme_keys(request, store)
            if kind == CONTACT:
                scores = _contact_scores(state, store, project.config.demand)
                contacts, classifier = q.contact_queue(
                    store,
                    project.config.demand,
                    username=principal.username,
                    limit=limit,
                    scores=scores,
                )
            else:
                comments = q.comment_queue(store, username=principal.username, limit=limit)
            mine = q.my_labels(store, kind=kind, username=principal.username)
        return LabelQueue(
            kind=kind,
            uncertain_means=UNCERTAIN[kind],
            classifier=classifier,
            contacts=contacts,
            comments=comments,
            tags=[TagKey(key=k, label=v[0], reason=v[1]) for k, v in CONTACT_TAGS.items()],
            themes=themes,
            mine=mine,
        )

    @page(
        router,
        "/labels/agreement",
        role=Role.viewer,
        template="labels_agreement.html.j2",
        model=AgreementPage,
    )
    def agreement(request: Request, principal: Principal) -> AgreementPage:
        """Agreement between staff where two or more labelled the same item (kappa)."""
        with request.app.state.web.read() as store:
            return AgreementPage(
                contacts=agreement_of(latest_labels(store, CONTACT), kind=CONTACT),
                comments=agreement_of(latest_labels(store, COMMENT), kind=COMMENT),
            )

    @router.post("/labels", summary="Label one contact or comment", tags=["labels"])
    def give_label(
        request: Request,
        kind: Annotated[str, Form(max_length=16)],
        item_id: Annotated[str, Form(max_length=200)],
        tag: Annotated[str | None, Form(max_length=4)] = None,
        themes: Annotated[list[str] | None, Form()] = None,
        principal: Principal = Depends(require_write(Role.labeller)),
    ) -> Response:
        """Store a label (who and when, audited). A contact is tagged with ``tag`` (a digit
        key of the queue); a comment with ``themes`` (theme ids, or ``none``)."""
        if kind not in KINDS:
            raise HTTPException(400, "kind is 'contact' or 'comment'")
        state = request.app.state.web
        with state.write() as store:
            if kind == CONTACT:
                label, reason = contact_tag(tag or "")
            else:
                chosen = themes or []
                known = [t.id for t in _theme_keys(request, store)]
                if not chosen:
                    raise DecisionframeError(
                        "no theme chosen. Hint: tick one or more themes, or press 0 for none."
                    )
                label, reason = comment_label(chosen, known), None
            given = add_label(
                store,
                kind=kind,
                item_id=item_id,
                label=label,
                reason=reason,
                username=principal.username,
            )
            mine = q.my_labels(store, kind=kind, username=principal.username, limit=1)
        if request.headers.get("hx-request"):
            return render(request, "labels_done.html.j2", {"item": mine[0], "kind": kind})
        if wants_json(request):
            answer = LabelGiven(
                kind=given.kind,
                item_id=given.item_id,
                label=given.label,
                reason=given.reason,
                username=given.username,
                labelled_at=given.labelled_at.isoformat(),
            )
            return JSONResponse(answer.model_dump(), status_code=201)
        return RedirectResponse(f"/labels?kind={kind}", status_code=303)

    return router

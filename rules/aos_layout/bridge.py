"""Can the struct-of-arrays bridge keep the program's behaviour?

The bridge runs the loop on a struct of arrays copied from the sequence and stores back the
fields the loop writes when it ends. That is only right when nothing the loop runs can see the
old sequence meanwhile: every element use is followed, nothing else in the loop uses the record
type, and every function the loop calls is followed through this file (or is a pure standard
one) without meeting it — the layer's ``reach.TypeReach`` walks that, and this module words
what it finds. Other threads are outside what one file shows; the rule's documentation says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from hotlint.analysis.containers import size_queries
from hotlint.analysis.control import contains_return
from hotlint.analysis.expressions import strip
from hotlint.analysis.kinds import K
from hotlint.analysis.reach import Contact, TypeReach
from hotlint.analysis.source import token_snippet
from hotlint.analysis.types import is_plain_value

if TYPE_CHECKING:  # pragma: no cover
    from hotlint.view import FileView, Loop

    from . import Sweep

_COPY = "while the loop works on a copy"
# How each thing the loop may reach is said (record: the record's name; container: the sequence's text).
_REASONS = {
    "uses-type": "it uses another `{record}` (`{snippet}`) " + _COPY + " of `{container}`",
    "budget": "it calls more code than hotlint follows to prove the copy is never seen",
    "unresolved-call": "it calls through a pointer or a name resolved only at instantiation, which hotlint "
                       "cannot follow",
    "passes-user-types": "it passes its own types to `{name}`, which may call back into code hotlint cannot see",
    "library-call": "it calls `{name}`, which hotlint cannot follow: it could read or change `{container}` " + _COPY,
    "virtual-call": "it makes a virtual call to `{name}`, and an override hotlint cannot pin down could read or "
                    "change `{container}` " + _COPY,
    "no-body": "it calls `{name}`, whose body hotlint cannot see: it could read or change `{container}` " + _COPY,
    "holds-type": "it uses `{name}`, which holds a `{record}`",
    "opaque-record": "it uses `{name}`, whose members hotlint cannot follow",
}


def bridge_refusal(view: "FileView", loop: "Loop", sweep: "Sweep", container: str) -> Optional[str]:
    """Why running ``loop`` on a struct of arrays copied from ``container`` (and storing back
    the fields it writes) might not keep the program's behaviour, or None when it does."""
    if sweep.unfollowed:
        return sweep.unfollowed
    node, parts = loop.node, loop.parts()
    body = parts["body"]
    for site in sweep.site_nodes:
        if any(a.kind == K.LAMBDA_EXPR and a.is_within(node) for a in site.ancestors()):
            return "it uses the element inside a lambda, which would need the struct of arrays captured"
    if any(t in ("co_await", "co_yield", "co_return") for t in node.tokens):
        return "it suspends a coroutine, and other code could see the sequence while the loop works on a copy"
    fn = view.enclosing_function(node)
    if fn is not None and contains_return(body) and not is_plain_value(fn.node.result_type):
        return ("it returns from the function, and the result could point into the struct of arrays, "
                "which lives only as long as the loop")
    if _keeps_reference(body):
        return "it takes the address of a reference bound in its body, which could outlive the loop"
    roots = [body] if node.kind == K.CXX_FOR_RANGE_STMT else [
        p for p in (parts["init"], parts["condition"], parts["increment"], body) if p is not None]
    skip = list(sweep.site_nodes) + size_queries(roots, sweep.container_decl)
    contact = TypeReach(sweep.element).first_contact(roots, skip)
    return None if contact is None else _reason(contact, sweep.element.unqualified_name.split("::")[-1], container)


def _reason(contact: Contact, record: str, container: str) -> str:
    """The contact as the finding's note says it: what was reached, after the calls that led there
    (`it calls `f`, which calls `g`, which uses ...`)."""
    snippet = token_snippet(contact.node) if contact.kind == "uses-type" else ""
    text = _REASONS[contact.kind].format(record=record, snippet=snippet, name=contact.name, container=container)
    for callee in reversed(contact.via):
        if not text.startswith(f"it calls `{callee.spelling}`"):
            text = f"it calls `{callee.spelling}`, which {text[len('it '):] if text.startswith('it ') else text}"
    return text


def _keeps_reference(body) -> bool:
    """`&r` of a reference declared in the loop: `r` may be bound to the loop's copy."""
    for n in body.walk():
        if n.kind == K.UNARY_OPERATOR and n.operator == "&" and n.children:
            target = strip(n.children[0])
            ref = target.referenced if target.kind == K.DECL_REF_EXPR else None
            if ref is not None and ref.kind == K.VAR_DECL and ref.type.is_reference and ref.file == body.file \
                    and body.range.contains(ref.range):
                return True
    return False

"""A prototype rule written only against hotlint's analysis layer (issue 12's proof that a new
rule is one small module): a virtual or ``std::function`` call per iteration whose target the
loop never changes."""

from hotlint.analysis.control import is_invariant, mutated_declarations
from hotlint.analysis.expressions import call_object
from hotlint.analysis.kinds import K
from hotlint.analysis.types import family
from hotlint.model import Severity
from hotlint.rule import Finding, Rule


class DispatchInLoop(Rule):
    """Reports a call through a virtual function or a ``std::function`` made on every iteration
    of a loop, on an object the loop does not change.

    ## What it does
    Finds calls in a loop body whose target is chosen at run time (a virtual member function
    called through a pointer or reference, or a ``std::function``) on an object that is the same
    on every iteration.

    ## Why is this bad?
    Each call is an indirect branch through a table the compiler cannot see into: it cannot
    inline the body, vectorize the loop or hoist work out of it, although the target never
    changes while the loop runs.

    ## Example
    `for (auto& x : xs) sum += shape->area(x);`

    ## Use instead
    Hoist the dispatch: call once with the whole range (`shape->total_area(xs)`), mark the class
    `final`, or make the loop a template over the concrete type.

    ## Fix safety
    No fix is offered: the right hoisting depends on the class hierarchy.

    ## Options
    None.

    ## References
    Agner Fog, "Optimizing software in C++", chapter 7.30 (virtual member functions).
    """

    name = "dispatch-in-loop"
    summary = "a virtual or std::function call per iteration on an object the loop does not change"
    severity = Severity.INFO
    needs_layout = False

    def check(self, view):
        for call in view.calls:
            if call.loop is None or call.callee is None:
                continue
            what = _dispatch(call)
            if what is None:
                continue
            obj = call_object(call.node, operators=True)
            if obj is None or not is_invariant(obj, mutated_declarations([call.loop.node])):
                continue
            yield Finding(
                call.node.range,
                f"`{call.name}` is {what}, dispatched on every iteration of the loop at line "
                f"{call.loop.node.range.start.line} although its target never changes there",
                severity=self.severity_for(view, call.node),
                notes=("hoist the dispatch out of the loop (one call over the whole range), mark the class "
                       "`final`, or make the loop a template over the concrete type",),
            )


def _dispatch(call):
    """What makes the call's target a run-time choice, or None when the compiler knows it."""
    callee = call.callee
    if callee.kind == K.CXX_METHOD and callee.spelling == "operator()":
        obj = call_object(call.node, operators=True)
        if obj is not None and family(obj.type) == "std::function":
            return "a `std::function` call"
        return None
    obj = call_object(call.node, operators=False)
    if not callee.is_virtual or obj is None:
        return None
    record = obj.type.non_reference().pointee if obj.type.is_pointer else obj.type.non_reference()
    if "final" in callee.attribute_names() or (record.declaration is not None
                                               and "final" in record.declaration.attribute_names()):
        return None  # no override can exist: the compiler calls it directly
    # through a pointer or a reference the dynamic type is unknown; on an object it is known
    declared = obj.referenced.type if obj.kind == K.DECL_REF_EXPR and obj.referenced is not None else obj.type
    return "a virtual call" if obj.type.is_pointer or declared.is_reference or declared.is_pointer else None

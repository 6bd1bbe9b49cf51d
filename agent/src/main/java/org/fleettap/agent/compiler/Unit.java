package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.List;
import java.util.Map;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.script.CheckedScript;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;

/**
 * One compilation: the checked script and what it is compiled against (resolver, arguments, the script state with
 * its global slots), the body being compiled, and the compilers of each kind of construct, which call each other
 * through it.
 */
final class Unit {
    final CheckedScript checked;
    final ProbeResolver resolver;
    final List<String> arguments;
    final ScriptState state;
    private final Map<String, Integer> globalIndex;
    /** The handler or function being compiled; each compiler of a body sets it and puts the previous one back. */
    Body body;

    final Statements statements;
    final Expressions expressions;
    final BuiltinCalls builtins;
    final TargetVariables targets;
    final UserFunctions functions;

    Unit(CheckedScript checked, ProbeResolver resolver, List<String> arguments, ScriptState state,
            Map<String, Integer> globalIndex) {
        this.checked = checked;
        this.resolver = resolver;
        this.arguments = List.copyOf(arguments);
        this.state = state;
        this.globalIndex = Map.copyOf(globalIndex);
        this.statements = new Statements(this);
        this.expressions = new Expressions(this);
        this.builtins = new BuiltinCalls(this);
        this.targets = new TargetVariables(this);
        this.functions = new UserFunctions(this);
    }

    /** The slot of global {@code name} in the script state's array for its kind. */
    int global(String name) {
        return globalIndex.get(name);
    }

    StapMap map(String name) {
        return state.maps[global(name)];
    }

    Type type(Expr x) {
        Type t = checked.typeOf(x);
        return t == Type.UNKNOWN ? Type.LONG : t;
    }

    VariableInfo info(Expr x) {
        return checked.variable(x).orElseThrow(() -> unsupported(x.location(), "this variable"));
    }

    /** The text of script argument {@code a} ($N / @N), or a compile error naming the valid range. */
    String argument(Expr.ScriptArgument a) {
        if (a.index() < 1 || a.index() > arguments.size()) {
            throw new Unsupported(a.location(), "command line argument index " + a.index() + " out of range [1-"
                    + arguments.size() + "]");
        }
        return arguments.get(a.index() - 1);
    }
}

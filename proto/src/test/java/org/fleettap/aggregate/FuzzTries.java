package org.fleettap.aggregate;

import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Sets a fuzz property's tries from the {@code fuzz.tries} system property (default 100; docs/fuzzing.md), so that
 * {@code mvn test -Dfuzz.tries=100000} runs longer without changing the other properties of this module.
 */
public final class FuzzTries implements AroundPropertyHook {
    static final int DEFAULT = 100;

    /** Applied to the properties of the class that adds it. */
    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.DIRECT_DESCENDANTS;
    }

    /** Outside jqwik's own hooks, which read the tries. */
    @Override
    public int aroundPropertyProximity() {
        return -100;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        if (context.targetMethod().isAnnotationPresent(Property.class)) { // an @Example runs once
            context.attributes().setTries(Integer.getInteger("fuzz.tries", DEFAULT));
        }
        return property.execute();
    }
}

package org.fleettap.agent.runtime;

/** The two scalar types of the script language: 64-bit signed integers and strings. */
public enum StapType {
    LONG,
    STRING
}

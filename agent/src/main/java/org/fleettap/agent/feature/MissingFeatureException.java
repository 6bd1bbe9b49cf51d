package org.fleettap.agent.feature;

/**
 * The kernel lacks a feature fleettap needs: not an I/O failure, and not fixable by retrying. Carries the feature's
 * name (as in the kernel's configuration) so messages and test skips can name it.
 */
public final class MissingFeatureException extends Exception {
    private final String feature;

    public MissingFeatureException(String feature, String detail) {
        super(feature + " is not available on this kernel: " + detail);
        this.feature = feature;
    }

    /** The feature's name, e.g. "kprobes (CONFIG_KPROBES)". */
    public String feature() {
        return feature;
    }
}

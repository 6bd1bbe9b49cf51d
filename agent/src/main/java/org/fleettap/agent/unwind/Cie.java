package org.fleettap.agent.unwind;

/**
 * A Common Information Entry at section offset {@code offset}: alignment factors, the return address column,
 * augmentation (pointer encodings, signal frame) and where its initial instructions are in the section.
 */
record Cie(int offset, int version, String augmentation, int addressSize, long codeAlign, long dataAlign,
        int returnAddressRegister, boolean hasAugmentationData, int fdeEncoding, int lsdaEncoding,
        boolean signalFrame, int instructionsStart, int instructionsEnd) {
}

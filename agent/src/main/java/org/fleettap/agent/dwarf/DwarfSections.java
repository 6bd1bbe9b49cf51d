package org.fleettap.agent.dwarf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.Section;

/**
 * The debug sections of one ELF file, by name ({@code .debug_info}, ...), decompressed when they are
 * SHF_COMPRESSED (ELFCOMPRESS_ZLIB) or GNU {@code .zdebug_*}. No I/O: the ELF file is already in memory.
 */
public final class DwarfSections {
    /** SHF_COMPRESSED. */
    static final long SHF_COMPRESSED = 0x800;
    static final int ELFCOMPRESS_ZLIB = 1;
    static final int ELFCOMPRESS_ZSTD = 2;
    /** Largest decompressed section accepted: corrupt headers must not cause runaway allocation. */
    static final long MAX_SECTION = 1L << 30;

    private final ElfFile elf;
    private final Map<String, ByteBuffer> cache = new ConcurrentHashMap<>();

    public DwarfSections(ElfFile elf) {
        this.elf = elf;
    }

    public ElfFile elf() {
        return elf;
    }

    /** Whether the file has {@code name} (or its .zdebug form). */
    public boolean has(String name) {
        return elf.section(name).isPresent() || elf.section(zname(name)).isPresent();
    }

    /** The contents of section {@code name}, decompressed, little-endian, position 0; empty if absent. */
    public Optional<ByteBuffer> section(String name) throws DwarfFormatException {
        ByteBuffer cached = cache.get(name);
        if (cached != null) {
            return Optional.of(cached.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        }
        Optional<Section> s = elf.section(name);
        ByteBuffer bytes;
        if (s.isPresent()) {
            bytes = elf.contents(s.get());
            if ((s.get().flags() & SHF_COMPRESSED) != 0) {
                bytes = decompressElf(name, bytes);
            }
        } else {
            Optional<Section> z = elf.section(zname(name));
            if (z.isEmpty()) {
                return Optional.empty();
            }
            bytes = decompressGnu(zname(name), elf.contents(z.get()));
        }
        bytes = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        cache.put(name, bytes);
        return Optional.of(bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A reader over section {@code name}, or an error naming the missing section. */
    public DwarfReader reader(String name) throws DwarfFormatException {
        return new DwarfReader(name, section(name).orElseThrow(
                () -> new DwarfFormatException("no " + name + " section")));
    }

    private static String zname(String name) {
        return name.startsWith(".debug_") ? ".zdebug_" + name.substring(".debug_".length()) : name;
    }

    /** Elf64_Chdr {ch_type, ch_reserved, ch_size, ch_addralign} then the compressed stream. */
    static ByteBuffer decompressElf(String name, ByteBuffer in) throws DwarfFormatException {
        DwarfReader r = new DwarfReader(name, in);
        int type = (int) r.u32();
        r.u32();
        long size = r.u64();
        r.u64();
        if (type == ELFCOMPRESS_ZSTD) {
            throw new DwarfFormatException(name + ": zstd-compressed debug sections are not supported "
                    + "(rebuild with -gz=zlib or decompress with objcopy --decompress-debug-sections)");
        }
        if (type != ELFCOMPRESS_ZLIB) {
            throw new DwarfFormatException(name + ": unknown compression type " + type);
        }
        ByteBuffer rest = in.duplicate();
        rest.position(in.position() + 24);
        return inflate(name, rest.slice(), size);
    }

    /** "ZLIB" + 8-byte big-endian size, then the zlib stream. */
    static ByteBuffer decompressGnu(String name, ByteBuffer in) throws DwarfFormatException {
        if (in.remaining() < 12 || in.get(in.position()) != 'Z' || in.get(in.position() + 1) != 'L'
                || in.get(in.position() + 2) != 'I' || in.get(in.position() + 3) != 'B') {
            throw new DwarfFormatException(name + ": no ZLIB header");
        }
        long size = in.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(in.position() + 4);
        ByteBuffer rest = in.duplicate();
        rest.position(in.position() + 12);
        return inflate(name, rest.slice(), size);
    }

    private static ByteBuffer inflate(String name, ByteBuffer compressed, long size) throws DwarfFormatException {
        if (size < 0 || size > MAX_SECTION || size > 2000L * Math.max(1, compressed.remaining()) + 4096) {
            throw new DwarfFormatException(name + ": implausible decompressed size " + size);
        }
        byte[] out = new byte[(int) size];
        Inflater inf = new Inflater();
        try {
            inf.setInput(compressed.duplicate());
            int n = 0;
            while (n < out.length) {
                int got = inf.inflate(out, n, out.length - n);
                if (got == 0) {
                    if (inf.finished() || inf.needsInput() || inf.needsDictionary()) {
                        break;
                    }
                }
                n += got;
            }
            if (n != out.length) {
                throw new DwarfFormatException(name + ": compressed data ends after " + n + " of " + size
                        + " bytes");
            }
        } catch (DataFormatException e) {
            throw new DwarfFormatException(name + ": corrupt compressed data: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }
}

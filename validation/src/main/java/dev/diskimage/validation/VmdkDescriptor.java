package dev.diskimage.validation;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A parsed VMDK text descriptor (VMware Virtual Disk Format 1.1, section "The Descriptor File"):
 * the header entries, every extent line and the disk database. It is what the VMDK inspector
 * decides on: which type of disk this claims to be, and which files outside the image it names.
 *
 * @param version            the {@code version=} entry, if present
 * @param cid                the content id ({@code CID=}, hexadecimal), if present
 * @param parentCid          the parent's content id ({@code parentCID=}); {@link #NO_PARENT_CID}
 *                           means "no parent"
 * @param createType         the {@code createType=} entry, if present
 * @param parentFileNameHint the {@code parentFileNameHint=} entry, if present
 * @param extents            the extent lines in order
 * @param ddb                the {@code ddb.*} entries, keys including the {@code ddb.} prefix
 * @param entries            every other {@code key=value} entry, values unquoted
 */
record VmdkDescriptor(OptionalInt version, OptionalLong cid, OptionalLong parentCid, Optional<String> createType,
        Optional<String> parentFileNameHint, List<Extent> extents, Map<String, String> ddb,
        Map<String, String> entries) {

    /** VMDK spec: {@code parentCID=ffffffff} marks a disk without a parent. */
    static final long NO_PARENT_CID = 0xffffffffL;

    VmdkDescriptor {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(cid, "cid");
        Objects.requireNonNull(parentCid, "parentCid");
        Objects.requireNonNull(createType, "createType");
        Objects.requireNonNull(parentFileNameHint, "parentFileNameHint");
        extents = List.copyOf(extents);
        ddb = Map.copyOf(ddb);
        entries = Map.copyOf(entries);
    }

    /** Whether the descriptor declares a parent disk, by name hint or by a parent content id. */
    boolean declaresParent() {
        return parentFileNameHint.isPresent()
                || (parentCid.isPresent() && parentCid.getAsLong() != NO_PARENT_CID);
    }

    /** Extent access modes (spec: RW, RDONLY, NOACCESS). */
    enum Access {
        RW, RDONLY, NOACCESS
    }

    /** Extent types the VMDK spec and ESX define. */
    enum ExtentType {
        FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE, VMFSRDM, VMFSRAW, SESPARSE;

        /** ZERO extents read as zeros and name no file; every other type names one. */
        boolean namesFile() {
            return this != ZERO;
        }
    }

    /**
     * One extent line: {@code ACCESS SECTORS TYPE ["file name" [OFFSET]]}.
     *
     * @param access     access mode
     * @param sectors    size in 512-byte sectors, positive
     * @param type       extent type
     * @param fileName   the quoted file name; empty only for {@link ExtentType#ZERO}
     * @param offset     the optional start offset in sectors inside the extent file
     * @param textOffset byte offset of the line inside the descriptor text
     */
    record Extent(Access access, long sectors, ExtentType type, Optional<String> fileName, OptionalLong offset,
            long textOffset) {
        Extent {
            Objects.requireNonNull(access, "access");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(fileName, "fileName");
            Objects.requireNonNull(offset, "offset");
        }
    }
}

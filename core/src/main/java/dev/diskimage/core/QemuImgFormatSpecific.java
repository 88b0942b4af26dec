package dev.diskimage.core;

import com.google.common.collect.ImmutableMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The {@code format-specific} part of {@code qemu-img info}: typed records for the formats whose
 * details matter to safety decisions (qcow2, vmdk, luks) and {@link Other} keeping the raw data
 * of every other type (vpc, vhdx, vdi, rbd, file ...) as immutable {@link QemuImgValue}s. Every
 * record keeps the fields it does not model in {@code unknown()} (in the order reported), so a
 * newer qemu's additions are never lost.
 */
public sealed interface QemuImgFormatSpecific {

    /**
     * The {@code type} qemu reports, e.g. {@code qcow2}.
     *
     * @return the format-specific type name, as reported
     */
    String type();

    /**
     * qcow2 details.
     *
     * @param compat {@code 0.10} (version 2) or {@code 1.1} (version 3)
     * @param compressionType {@code zlib} or {@code zstd} (qemu 5.1+)
     * @param lazyRefcounts whether lazy refcounts are enabled
     * @param refcountBits width of a refcount entry
     * @param corrupt whether the image is marked corrupt
     * @param extendedL2 whether extended L2 entries (subclusters) are used
     * @param dataFile the external data file, if any: a path outside the image
     * @param dataFileRaw whether the external data file is raw-consistent
     * @param bitmaps persistent dirty bitmaps
     * @param encrypt the encryption layer, if the image is encrypted
     * @param unknown fields this record does not model
     */
    record Qcow2(String compat, Optional<String> compressionType, Optional<Boolean> lazyRefcounts,
            OptionalLong refcountBits, Optional<Boolean> corrupt, Optional<Boolean> extendedL2,
            Optional<String> dataFile, Optional<Boolean> dataFileRaw, List<Qcow2Bitmap> bitmaps,
            Optional<Qcow2Encryption> encrypt, Map<String, QemuImgValue> unknown) implements QemuImgFormatSpecific {
        /**
         * Copies the collections.
         *
         * @param compat {@code 0.10} (version 2) or {@code 1.1} (version 3)
         * @param compressionType {@code zlib} or {@code zstd} (qemu 5.1+)
         * @param lazyRefcounts whether lazy refcounts are enabled
         * @param refcountBits width of a refcount entry
         * @param corrupt whether the image is marked corrupt
         * @param extendedL2 whether extended L2 entries (subclusters) are used
         * @param dataFile the external data file, if any: a path outside the image
         * @param dataFileRaw whether the external data file is raw-consistent
         * @param bitmaps persistent dirty bitmaps
         * @param encrypt the encryption layer, if the image is encrypted
         * @param unknown fields this record does not model
         * @throws NullPointerException if a collection, or an element, key or value in one, is null
         */
        public Qcow2 {
            bitmaps = List.copyOf(bitmaps);
            unknown = ImmutableMap.copyOf(unknown);
        }

        @Override
        public String type() {
            return "qcow2";
        }
    }

    /**
     * A persistent dirty bitmap in a qcow2 image.
     *
     * @param name bitmap name
     * @param granularity bytes per bit
     * @param flags flags such as {@code auto} or {@code in-use}
     */
    record Qcow2Bitmap(String name, long granularity, List<String> flags) {
        /**
         * Copies the flags.
         *
         * @param name bitmap name
         * @param granularity bytes per bit
         * @param flags flags such as {@code auto} or {@code in-use}
         * @throws NullPointerException if the list or an element of it is null
         */
        public Qcow2Bitmap {
            flags = List.copyOf(flags);
        }
    }

    /**
     * The encryption layer of a qcow2 image.
     *
     * @param format {@code luks} or {@code aes} (legacy, insecure)
     * @param luks the LUKS header details when the format is {@code luks}
     */
    record Qcow2Encryption(String format, Optional<Luks> luks) {
    }

    /**
     * vmdk details.
     *
     * @param createType the descriptor's createType, e.g. {@code monolithicSparse}
     * @param cid content id (unsigned 32 bit)
     * @param parentCid parent content id; {@code 0xffffffff} means no parent
     * @param extents the extents qemu opened
     * @param unknown fields this record does not model
     */
    record Vmdk(String createType, long cid, long parentCid, List<VmdkExtent> extents,
            Map<String, QemuImgValue> unknown) implements QemuImgFormatSpecific {
        /**
         * Copies the collections.
         *
         * @param createType the descriptor's createType, e.g. {@code monolithicSparse}
         * @param cid content id (unsigned 32 bit)
         * @param parentCid parent content id; {@code 0xffffffff} means no parent
         * @param extents the extents qemu opened
         * @param unknown fields this record does not model
         * @throws NullPointerException if a collection, or an element, key or value in one, is null
         */
        public Vmdk {
            extents = List.copyOf(extents);
            unknown = ImmutableMap.copyOf(unknown);
        }

        @Override
        public String type() {
            return "vmdk";
        }
    }

    /**
     * One vmdk extent as qemu-img reports it.
     *
     * @param filename the extent file; another path than the image means a foreign extent
     * @param format extent format (empty in qemu 7.2 for sparse extents)
     * @param virtualSize bytes the extent covers
     * @param clusterSize grain size in bytes, for sparse extents
     * @param compressed whether grains are compressed (streamOptimized)
     * @param unknown fields this record does not model
     */
    record VmdkExtent(String filename, String format, long virtualSize, OptionalLong clusterSize,
            Optional<Boolean> compressed, Map<String, QemuImgValue> unknown) {
        /**
         * Copies the unknown fields.
         *
         * @param filename the extent file; another path than the image means a foreign extent
         * @param format extent format (empty in qemu 7.2 for sparse extents)
         * @param virtualSize bytes the extent covers
         * @param clusterSize grain size in bytes, for sparse extents
         * @param compressed whether grains are compressed (streamOptimized)
         * @param unknown fields this record does not model
         * @throws NullPointerException if the map, or a key or value in it, is null
         */
        public VmdkExtent {
            unknown = ImmutableMap.copyOf(unknown);
        }
    }

    /**
     * LUKS header details (for a {@code luks} image or the encryption layer of a qcow2).
     *
     * @param cipherAlg cipher and key size, e.g. {@code aes-256}
     * @param cipherMode e.g. {@code xts}
     * @param ivgenAlg IV generator, e.g. {@code plain64}
     * @param ivgenHashAlg hash of the IV generator ({@code essiv}), if any
     * @param hashAlg key derivation hash, e.g. {@code sha256}
     * @param uuid the volume UUID
     * @param payloadOffset byte offset of the encrypted payload
     * @param masterKeyIters PBKDF2 iterations of the master key digest
     * @param slots the key slots
     * @param unknown fields this record does not model
     */
    record Luks(String cipherAlg, String cipherMode, String ivgenAlg, Optional<String> ivgenHashAlg,
            String hashAlg, Optional<String> uuid, OptionalLong payloadOffset, OptionalLong masterKeyIters,
            List<LuksSlot> slots, Map<String, QemuImgValue> unknown) implements QemuImgFormatSpecific {
        /**
         * Copies the collections.
         *
         * @param cipherAlg cipher and key size, e.g. {@code aes-256}
         * @param cipherMode e.g. {@code xts}
         * @param ivgenAlg IV generator, e.g. {@code plain64}
         * @param ivgenHashAlg hash of the IV generator ({@code essiv}), if any
         * @param hashAlg key derivation hash, e.g. {@code sha256}
         * @param uuid the volume UUID
         * @param payloadOffset byte offset of the encrypted payload
         * @param masterKeyIters PBKDF2 iterations of the master key digest
         * @param slots the key slots
         * @param unknown fields this record does not model
         * @throws NullPointerException if a collection, or an element, key or value in one, is null
         */
        public Luks {
            slots = List.copyOf(slots);
            unknown = ImmutableMap.copyOf(unknown);
        }

        @Override
        public String type() {
            return "luks";
        }
    }

    /**
     * One LUKS key slot.
     *
     * @param active whether the slot holds a key
     * @param iters PBKDF2 iterations, for an active slot
     * @param stripes anti-forensic stripes, for an active slot
     * @param keyOffset byte offset of the key material
     */
    record LuksSlot(boolean active, OptionalLong iters, OptionalLong stripes, long keyOffset) {
    }

    /**
     * Any other format-specific data, kept as qemu reported it.
     *
     * @param type the reported type
     * @param data the reported data (an empty {@link QemuImgValue.Fields} when there is none)
     */
    record Other(String type, QemuImgValue data) implements QemuImgFormatSpecific {
        /**
         * Checks that neither component is null.
         *
         * @param type the reported type
         * @param data the reported data (an empty {@link QemuImgValue.Fields} when there is none)
         * @throws NullPointerException if a component is null
         */
        public Other {
            java.util.Objects.requireNonNull(type, "type");
            java.util.Objects.requireNonNull(data, "data");
        }
    }
}

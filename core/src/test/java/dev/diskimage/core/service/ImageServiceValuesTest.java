package dev.diskimage.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The image service API's values: hashing, verification, contexts that keep their secrets. */
class ImageServiceValuesTest {
    private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
    private static final String MD5_ABC = "900150983cd24fb0d6963f7d28e17f72";
    private static final String SHA512_ABC = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

    @Test
    void hashesMatchTheStandardVectorsWhicheverWayTheBytesArrive() {
        ImageHasher whole = ImageHasher.of(HashAlgorithm.SHA512);
        whole.update(ABC, 0, 3);
        ImageHasher pieces = ImageHasher.of(HashAlgorithm.SHA512);
        pieces.update(new byte[] {'x', 'a'}, 1, 1);
        pieces.update(java.nio.ByteBuffer.wrap(new byte[] {'b', 'c'}));
        for (ImageHasher hasher : List.of(whole, pieces)) {
            assertThat(hasher.size()).isEqualTo(3);
            ImageDigests digests = hasher.digests();
            assertThat(digests.md5()).isEqualTo(MD5_ABC);
            assertThat(digests.multihash()).isEqualTo(SHA512_ABC);
            assertThat(digests.size()).isEqualTo(3);
        }
    }

    @Test
    void largeChunksHashedOnTwoThreadsGiveTheSameDigestsAsSmallOnes() throws Exception {
        byte[] data = new byte[3 * ImageHasher.PARALLEL_THRESHOLD + 17];
        new java.util.Random(9).nextBytes(data);
        ImageHasher large = ImageHasher.of(HashAlgorithm.SHA512);
        large.update(data, 0, data.length);
        ImageHasher small = ImageHasher.of(HashAlgorithm.SHA512);
        for (int offset = 0; offset < data.length; offset += 1000) {
            small.update(data, offset, Math.min(1000, data.length - offset));
        }
        java.util.HexFormat hex = java.util.HexFormat.of();
        ImageDigests expected = new ImageDigests(data.length,
                hex.formatHex(java.security.MessageDigest.getInstance("MD5").digest(data)), HashAlgorithm.SHA512,
                hex.formatHex(java.security.MessageDigest.getInstance("SHA-512").digest(data)));
        assertThat(large.digests()).isEqualTo(expected);
        assertThat(small.digests()).isEqualTo(expected);
    }

    @Test
    void theRecordNamesTheMultihashAlgorithm() {
        ImageHasher sha256 = ImageHasher.forImage(ImageMeta.builder("i").multihash("SHA256", "x").build());
        sha256.update(ABC, 0, 3);
        assertThat(sha256.digests().multihash())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(ImageHasher.forImage(ImageMeta.builder("i").build()).digests().algorithm()).isEqualTo(HashAlgorithm.SHA512);
        assertThatThrownBy(() -> ImageHasher.forImage(ImageMeta.builder("i").multihash("md5", "x").build()))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("os_hash_algo md5");
        assertThat(HashAlgorithm.fromName("sha3_512")).contains(HashAlgorithm.SHA3_512);
        assertThat(HashAlgorithm.fromName("sha1")).isEmpty();
        for (HashAlgorithm algorithm : HashAlgorithm.values()) {
            assertThat(algorithm.newDigest()).isNotNull();
            assertThat(HashAlgorithm.fromName(algorithm.serviceName())).contains(algorithm);
        }
    }

    @Test
    void verificationChecksEveryStatedValue() {
        ImageDigests digests = new ImageDigests(3, MD5_ABC, HashAlgorithm.SHA512, SHA512_ABC);
        ImageMeta good = ImageMeta.builder("img").name("cirros").size(3).checksum(MD5_ABC.toUpperCase())
                .multihash("sha512", SHA512_ABC).build();
        digests.verify(good, false);
        assertThatThrownBy(() -> digests.verify(good.toBuilder().size(4).build(), false))
                .isInstanceOf(ImageIntegrityException.class)
                .hasMessage("image img (\"cirros\"): the service says 4 bytes, but 3 bytes arrived");
        assertThatThrownBy(() -> digests.verify(good.toBuilder().checksum("0".repeat(32)).build(), false))
                .hasMessageContaining("checksum (md5) mismatch: the service says 000");
        assertThatThrownBy(() -> digests.verify(good.toBuilder().multihash("sha512", "ab").build(), false))
                .hasMessageContaining("multihash (sha512) mismatch: the service says ab, the data has " + SHA512_ABC);
        assertThatThrownBy(() -> digests.verify(good.toBuilder().multihash("sha256", SHA512_ABC).build(), false))
                .hasMessageContaining("computed with sha512 but the service names sha256");
        ImageMeta unhashed = ImageMeta.builder("img").size(3).build();
        assertThatThrownBy(() -> digests.verify(unhashed, false)).hasMessageContaining("neither a checksum nor a multihash");
        digests.verify(unhashed, true);
        ImageMeta md5Only = ImageMeta.builder("img").checksum(MD5_ABC).build();
        digests.verify(md5Only, false);
    }

    @Test
    void aContextNeverShowsItsTokenAndRefusesHeaderInjection() {
        RequestContext ctx = RequestContext.withToken("gAAAAsecret").identity("u1", "p1", List.of("member", "reader"));
        assertThat(ctx.toString()).doesNotContain("gAAAAsecret").contains("token=(set)").contains("user=u1");
        assertThat(ctx.userKey()).isEqualTo("u1");
        assertThat(RequestContext.anonymous().userKey()).isEqualTo("-");
        assertThat(RequestContext.anonymous().requestId()).startsWith("req-");
        assertThatThrownBy(() -> RequestContext.withToken("abc\r\nX-Roles: admin"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("authToken contains a control character");
        assertThatThrownBy(() -> ctx.identity("u\n", "p", List.of())).hasMessage("userId contains a control character");
        assertThatThrownBy(() -> ctx.identity("u", "p", List.of("admin\u007f"))).hasMessage("role contains a control character");
    }

    @Test
    void statusesUseTheServicesNames() {
        assertThat(ImageStatus.fromName("active")).isEqualTo(ImageStatus.ACTIVE);
        assertThat(ImageStatus.fromName("pending_delete")).isEqualTo(ImageStatus.PENDING_DELETE);
        assertThat(ImageStatus.fromName("ACTIVE")).isEqualTo(ImageStatus.UNKNOWN);
        assertThat(ImageStatus.fromName("unknown")).isEqualTo(ImageStatus.UNKNOWN);
        assertThat(ImageStatus.QUEUED.serviceName()).isEqualTo("queued");
    }

    @Test
    void queriesChangesAndRecordsCheckTheirParts() {
        ImageQuery query = ImageQuery.all().where("status", "active").pageSize(3).sortedBy("name", true);
        assertThat(query.filters()).isEqualTo(Map.of("status", "active"));
        assertThat(query.pageSize()).isEqualTo(3);
        assertThatThrownBy(() -> ImageQuery.all().pageSize(0)).hasMessageContaining("page size 0");
        assertThatThrownBy(() -> ImageQuery.all().pageSize(1001)).hasMessageContaining("page size 1001");
        ImageQuery.all().pageSize(1000);
        ImageChanges changes = ImageChanges.setting(Map.of("name", "x")).andSet("hw_disk_bus", "scsi").andRemove("old");
        assertThat(changes.set()).containsEntry("hw_disk_bus", "scsi").containsEntry("name", "x");
        assertThat(changes.remove()).isEqualTo(Set.of("old"));
        assertThatThrownBy(() -> changes.andRemove("name")).hasMessage("property name is both set and removed");
        assertThatThrownBy(() -> ImageMeta.builder("i").size(-1).build()).hasMessageContaining("negative size -1");
        assertThatThrownBy(() -> ImageMeta.builder("i").virtualSize(-2).build()).hasMessageContaining("negative virtual size -2");
        ImageMeta meta = ImageMeta.builder("i").property("k", "v").build();
        assertThat(meta.property("k")).contains("v");
        assertThat(meta.property("z")).isEmpty();
        assertThat(meta.describe()).isEqualTo("i");
        assertThat(meta.toBuilder().build()).isEqualTo(meta);
        NewImage created = NewImage.of("n", "qcow2").withId("id1").withVisibility("public").withProperties(Map.of("a", "b"));
        assertThat(created.id()).isEqualTo(Optional.of("id1"));
        assertThat(created.containerFormat()).isEqualTo("bare");
        assertThat(created.visibility()).isEqualTo("public");
        assertThat(new ImageServiceException("x").httpStatus()).isEmpty();
        assertThat(new ImageConflictException("x", 409, null).httpStatus()).hasValue(409);
    }
}

package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QemuImgInfoParsingTest {

    static String resource(String name) throws IOException {
        try (InputStream in = QemuImgInfoParsingTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void parsesEveryFieldOfANewerQemuAnswer() throws IOException {
        QemuImgInfo info = QemuImgInfo.fromJson(resource("qemu8-qcow2-full.json"));

        assertThat(info.filename()).isEqualTo("top.qcow2");
        assertThat(info.diskFormat()).contains(DiskFormat.QCOW2);
        assertThat(info.virtualSize()).isEqualTo(1L << 30);
        assertThat(info.actualSize()).hasValue(462848);
        assertThat(info.clusterSize()).hasValue(65536);
        assertThat(info.dirty()).isTrue();
        assertThat(info.encrypted()).isTrue();
        assertThat(info.backingFilename()).contains("base.qcow2");
        assertThat(info.fullBackingFilename()).contains("/images/base.qcow2");
        assertThat(info.backingFormat()).contains("qcow2");
        assertThat(info.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo("1");
            assertThat(s.name()).isEqualTo("before upgrade");
            assertThat(s.vmStateSize()).isEqualTo(4096);
            assertThat(s.date()).isEqualTo(Instant.ofEpochSecond(1700000000, 123000000));
            assertThat(s.vmClock()).isEqualTo(Duration.ofSeconds(3723, 500000000));
            assertThat(s.icount()).hasValue(12);
        });
        assertThat(info.formatSpecific()).get().isInstanceOfSatisfying(QemuImgFormatSpecific.Qcow2.class, q -> {
            assertThat(q.compat()).isEqualTo("1.1");
            assertThat(q.compressionType()).contains("zstd");
            assertThat(q.lazyRefcounts()).contains(true);
            assertThat(q.refcountBits()).hasValue(16);
            assertThat(q.corrupt()).contains(false);
            assertThat(q.extendedL2()).contains(true);
            assertThat(q.dataFile()).contains("/elsewhere/data.raw");
            assertThat(q.dataFileRaw()).contains(false);
            assertThat(q.bitmaps()).containsExactly(
                    new QemuImgFormatSpecific.Qcow2Bitmap("bitmap0", 65536, java.util.List.of("in-use", "auto")));
            assertThat(q.encrypt()).get().satisfies(e -> {
                assertThat(e.format()).isEqualTo("luks");
                assertThat(e.luks()).get().satisfies(l -> {
                    assertThat(l.cipherAlg()).isEqualTo("aes-256");
                    assertThat(l.cipherMode()).isEqualTo("cbc");
                    assertThat(l.ivgenAlg()).isEqualTo("essiv");
                    assertThat(l.ivgenHashAlg()).contains("sha256");
                    assertThat(l.slots()).hasSize(2);
                    assertThat(l.slots().get(0).active()).isTrue();
                    assertThat(l.slots().get(1).iters()).isEmpty();
                });
            });
            assertThat(q.unknown()).containsOnlyKeys("future-qcow2-field");
            assertThat(q.unknown().get("future-qcow2-field")).isInstanceOfSatisfying(QemuImgValue.Fields.class,
                    f -> assertThat(f.fields().get("nested")).isInstanceOfSatisfying(QemuImgValue.Items.class,
                            nested -> assertThat(nested.items()).hasSize(3)));
        });
        assertThat(info.backingImage()).get().satisfies(b -> {
            assertThat(b.filename()).isEqualTo("/images/base.qcow2");
            assertThat(b.formatSpecific()).get().extracting(QemuImgFormatSpecific::type).isEqualTo("qcow2");
        });
        assertThat(info.backingChain()).hasSize(2);
        assertThat(info.children()).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo("file");
            assertThat(c.info().formatName()).isEqualTo("file");
            assertThat(c.info().diskFormat()).isEmpty();
            assertThat(c.info().formatSpecific()).get().isInstanceOf(QemuImgFormatSpecific.Other.class);
        });
        assertThat(info.unknown()).containsOnlyKeys("some-future-field");
        assertThat(info.unknown().get("some-future-field")).isEqualTo(new QemuImgValue.Text("kept"));
    }

    @Test
    void humanTextOfANewerQemuAgreesWithItsJson() throws IOException {
        QemuImgInfo json = QemuImgInfo.fromJson(resource("qemu8-qcow2-full.json"));
        QemuImgInfo human = QemuImgInfo.fromHumanText(resource("qemu8-qcow2-human.txt"));

        assertThat(human.filename()).isEqualTo(json.filename());
        assertThat(human.virtualSize()).isEqualTo(json.virtualSize());
        assertThat(human.actualSize()).hasValue(452 * 1024);
        assertThat(human.dirty()).isTrue();
        assertThat(human.encrypted()).isTrue();
        assertThat(human.backingFilename()).isEqualTo(json.backingFilename());
        assertThat(human.fullBackingFilename()).isEqualTo(json.fullBackingFilename());
        assertThat(human.backingFormat()).isEqualTo(json.backingFormat());
        assertThat(human.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("before upgrade");
            assertThat(s.vmStateSize()).isEqualTo(4096);
            assertThat(s.date()).isEqualTo(Instant.ofEpochSecond(1700000000));
            assertThat(s.vmClock()).isEqualTo(Duration.ofSeconds(3723, 500000000));
            assertThat(s.icount()).hasValue(12);
        });
        QemuImgFormatSpecific.Qcow2 q = (QemuImgFormatSpecific.Qcow2) human.formatSpecific().orElseThrow();
        assertThat(q.bitmaps()).isEqualTo(((QemuImgFormatSpecific.Qcow2) json.formatSpecific().orElseThrow()).bitmaps());
        assertThat(q.dataFile()).contains("/elsewhere/data.raw");
        assertThat(q.extendedL2()).contains(true);
        assertThat(q.compressionType()).contains("zstd");
        // the Child node section is skipped, not misread as top-level fields
        assertThat(human.unknown()).isEmpty();
    }

    @Test
    void keepsForeignVmdkExtentsAndUnknownExtentFields() throws IOException {
        QemuImgInfo info = QemuImgInfo.fromJson(resource("vmdk-foreign-extent.json"));

        QemuImgFormatSpecific.Vmdk vmdk = (QemuImgFormatSpecific.Vmdk) info.formatSpecific().orElseThrow();
        assertThat(vmdk.createType()).isEqualTo("twoGbMaxExtentSparse");
        assertThat(vmdk.cid()).isEqualTo(4294967294L);
        assertThat(vmdk.parentCid()).isEqualTo(4294967295L);
        assertThat(vmdk.extents()).extracting(QemuImgFormatSpecific.VmdkExtent::filename)
                .containsExactly("desc-s001.vmdk", "/etc/passwd");
        assertThat(vmdk.extents().get(1).format()).isEqualTo("FLAT");
        assertThat(vmdk.extents().get(1).clusterSize()).isEmpty();
        assertThat(vmdk.extents().get(1).unknown()).containsOnlyKeys("new-extent-key");
        assertThat(info.actualSize()).isEmpty();
        assertThat(info.dirty()).isFalse();
    }

    @Test
    void linksABackingChainArray() {
        String chain = "[{\"filename\":\"top\",\"format\":\"qcow2\",\"virtual-size\":10,\"backing-filename\":\"mid\"},"
                + "{\"filename\":\"mid\",\"format\":\"qcow2\",\"virtual-size\":10,\"backing-filename\":\"base\"},"
                + "{\"filename\":\"base\",\"format\":\"raw\",\"virtual-size\":10}]";

        QemuImgInfo info = QemuImgInfo.fromJson(chain);

        assertThat(info.backingChain()).extracting(QemuImgInfo::filename).containsExactly("top", "mid", "base");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "not json",
        "{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 1",
        "{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 1} trailing",
        "[]",
        "42",
        "null",
    })
    void rejectsMalformedJson(String json) {
        assertThatThrownBy(() -> QemuImgInfo.fromJson(json)).isInstanceOf(QemuImgInfoParseException.class);
    }

    @Test
    void rejectsMissingRequiredFieldsNamingThem() {
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"format\": \"raw\", \"virtual-size\": 1}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.filename");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": \"a\", \"virtual-size\": 1}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.format");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\"}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.virtual-size");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": null, \"format\": \"raw\", \"virtual-size\": 1}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.filename");
        assertThatThrownBy(() -> QemuImgInfo.fromJson(
                "{\"filename\":\"a\",\"format\":\"qcow2\",\"virtual-size\":1,\"format-specific\":{\"type\":\"qcow2\",\"data\":{}}}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.format-specific.data.compat");
    }

    @Test
    void rejectsWrongTypesAndOutOfRangeNumbers() {
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": \"1\"}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.virtual-size must be an integer");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": 5, \"format\": \"raw\", \"virtual-size\": 1}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.filename must be a string");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 1.5}"))
                .isInstanceOf(QemuImgInfoParseException.class);
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": -1}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("out of range");
        assertThatThrownBy(() -> QemuImgInfo.fromJson(
                "{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 18446744073709551615}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("out of range");
        assertThatThrownBy(() -> QemuImgInfo.fromJson(
                "{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 1, \"dirty-flag\": \"no\"}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.dirty-flag must be a boolean");
        assertThatThrownBy(() -> QemuImgInfo.fromJson(
                "{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 1, \"snapshots\": {}}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("$.snapshots must be an array");
    }

    @Test
    void rejectsDuplicateKeys() {
        assertThatThrownBy(() -> QemuImgInfo.fromJson(
                "{\"filename\": \"a\", \"format\": \"raw\", \"format\": \"qcow2\", \"virtual-size\": 1}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("format");
    }

    @Test
    void rejectsOversizedAndDeeplyNestedJson() {
        String huge = "{\"filename\": \"" + "a".repeat(QemuImgInfo.MAX_JSON_CHARS) + "\"}";
        assertThatThrownBy(() -> QemuImgInfo.fromJson(huge))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("accepted");
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        assertThatThrownBy(() -> QemuImgInfo.fromJson(deep)).isInstanceOf(QemuImgInfoParseException.class);
    }

    @Test
    void rejectsHumanTextWithoutRequiredLines() {
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText("image: a\nfile format: raw\n"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("virtual-size");
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText("image: a\nfile format: raw\nvirtual size: 1 MiB\n"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("byte count");
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(
                "image: a\nfile format: raw\nvirtual size: 1 B (1 bytes)\ndisk size: lots\n"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("not a size");
    }

    @Test
    void humanTextWithoutActualPathUsesTheBackingNameForBoth() {
        QemuImgInfo info = QemuImgInfo.fromHumanText("image: t\nfile format: qcow2\nvirtual size: 1 MiB (1048576 bytes)\n"
                + "disk size: unavailable\nbacking file: b.qcow2\nbacking file format: raw\n");

        assertThat(info.backingFilename()).contains("b.qcow2");
        assertThat(info.fullBackingFilename()).contains("b.qcow2");
        assertThat(info.backingFormat()).contains("raw");
        assertThat(info.actualSize()).isEmpty();
    }

    @Test
    void keepsUnmodelledFieldsAsImmutableTypedValuesInTheOrderReported() {
        QemuImgInfo info = QemuImgInfo.fromJson("{\"filename\":\"f\",\"format\":\"vpc\",\"virtual-size\":1,"
                + "\"z-text\":\"t\",\"a-big\":123456789012345678901234567890,\"m-fraction\":1e400,"
                + "\"b-flag\":true,\"n-null\":null,\"c-list\":[1,\"two\"],"
                + "\"format-specific\":{\"type\":\"vpc\",\"data\":{\"subformat\":\"fixed\"}}}");

        assertThat(info.unknown()).containsExactly(
                java.util.Map.entry("z-text", new QemuImgValue.Text("t")),
                java.util.Map.entry("a-big", new QemuImgValue.Num(new java.math.BigDecimal("123456789012345678901234567890"))),
                java.util.Map.entry("m-fraction", new QemuImgValue.Num(new java.math.BigDecimal("1e400"))),
                java.util.Map.entry("b-flag", new QemuImgValue.Bool(true)),
                java.util.Map.entry("n-null", new QemuImgValue.Null()),
                java.util.Map.entry("c-list", new QemuImgValue.Items(java.util.List.of(
                        new QemuImgValue.Num(java.math.BigDecimal.ONE), new QemuImgValue.Text("two")))));
        assertThatThrownBy(() -> info.unknown().put("x", new QemuImgValue.Null()))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(info.formatSpecific()).contains(new QemuImgFormatSpecific.Other("vpc",
                new QemuImgValue.Fields(java.util.Map.of("subformat", new QemuImgValue.Text("fixed")))));
    }
}

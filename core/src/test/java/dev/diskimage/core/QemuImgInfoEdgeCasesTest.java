package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Edge cases of reading qemu-img info answers, JSON and human text, without running qemu-img. */
class QemuImgInfoEdgeCasesTest {
    private static final String RAW = "\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 1";
    private static final String HUMAN = "image: a\nfile format: raw\nvirtual size: 1 MiB (1048576 bytes)\n";

    private static String withSpecific(String type, String data) {
        return "{" + RAW + ", \"format-specific\": {\"type\": \"" + type + "\", \"data\": " + data + "}}";
    }

    private static String padded(String json, int length) {
        return json + " ".repeat(length - json.length());
    }

    // ---- JSON ----

    @Test
    void acceptsJsonOfExactlyTheCapAndRefusesOneCharacterMore() {
        String json = "{" + RAW + "}";

        assertThat(QemuImgInfo.fromJson(padded(json, QemuImgInfo.MAX_JSON_CHARS)).filename()).isEqualTo("a");
        assertThatThrownBy(() -> QemuImgInfo.fromJson(padded(json, QemuImgInfo.MAX_JSON_CHARS + 1)))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("accepted");
    }

    @Test
    void verbAnswerOfExactlyTheCapIsReadAndOneMoreIsRefused() {
        String json = "{\"required\": 1}";

        assertThat(QemuImgInfoReader.parseJson(padded(json, QemuImgInfo.MAX_JSON_CHARS), "qemu-img measure")
                .get("required").asLong()).isEqualTo(1);
        assertThatThrownBy(() -> QemuImgInfoReader.parseJson(padded(json, QemuImgInfo.MAX_JSON_CHARS + 1), "qemu-img measure"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("qemu-img measure JSON is larger");
        assertThatThrownBy(() -> QemuImgInfoReader.parseJson("[1]", "qemu-img check"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessage("qemu-img check JSON is not an object");
        assertThatThrownBy(() -> QemuImgInfoReader.parseJson("{", "qemu-img check"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageStartingWith("malformed qemu-img check JSON");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"6333333e333333337108864", "1e-99999999999", "1.5E+2147483648"})
    void aNumberJacksonCannotHoldExactlyIsMalformedJsonNotANumberFormatException(String number) {
        // Found by QemuImgInfoJsonFuzzTest: Jackson's exact decimal refuses such exponents with
        // a NumberFormatException, anywhere in the answer (a known field or an unknown one).
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{" + RAW + ", \"x-size\": " + number + "}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("malformed qemu-img info JSON");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\", "
                + "\"virtual-size\": " + number + "}")).isInstanceOf(QemuImgInfoParseException.class);
        assertThatThrownBy(() -> QemuImgInfoReader.parseJson("{\"required\": " + number + "}", "qemu-img measure"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("malformed qemu-img measure JSON");
    }

    @Test
    void missingOrEmptyJsonIsNamedAsSuch() {
        assertThatThrownBy(() -> QemuImgInfo.fromJson(null)).hasMessage("qemu-img info JSON is missing");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("  ")).hasMessage("qemu-img info JSON is empty");
        assertThatThrownBy(() -> QemuImgInfo.fromJson("[]")).hasMessage("qemu-img info JSON is an empty array");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[{" + RAW + "}, 5]|$[1] must be an object but is number",
        "{" + RAW + ", \"backing-image\": 5}|$.backing-image must be an object but is number",
        "{" + RAW + ", \"snapshots\": [true]}|$.snapshots[0] must be an object but is boolean",
        "{" + RAW + ", \"children\": [\"x\"]}|$.children[0] must be an object but is string",
        "{" + RAW + ", \"children\": [{\"name\": \"file\", \"info\": {\"filename\": \"f\"}}]}"
                + "|required field $.children[0].info.format is missing",
        "{" + RAW + ", \"format-specific\": 5}|$.format-specific must be an object but is number",
        "{\"filename\": 5, \"format\": \"raw\", \"virtual-size\": 1}|$.filename must be a string but is number",
        "{" + RAW + ", \"snapshots\": [{\"id\": \"1\", \"date-sec\": \"x\"}]}|$.snapshots[0].date-sec must be an integer but is string",
        "{" + RAW + ", \"encrypted\": 1}|$.encrypted must be a boolean but is number",
    })
    void errorsNameTheFieldPathAndWhatWasFound(String json, String message) {
        assertThatThrownBy(() -> QemuImgInfo.fromJson(json))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "qcow2|5|$.format-specific.data must be an object but is number",
        "vmdk|[]|$.format-specific.data must be an object but is array",
        "luks|\"x\"|$.format-specific.data must be an object but is string",
        "qcow2|{\"compat\": \"1.1\", \"encrypt\": 5}|$.format-specific.data.encrypt must be an object but is number",
        "qcow2|{\"compat\": \"1.1\", \"bitmaps\": [5]}|$.format-specific.data.bitmaps[0] must be an object but is number",
        "qcow2|{\"compat\": \"1.1\", \"bitmaps\": [{\"name\": \"b\", \"granularity\": 1, \"flags\": [1]}]}"
                + "|$.format-specific.data.bitmaps[0].flags[0] must be a string but is number",
        "vmdk|{\"create-type\": \"t\", \"cid\": 1, \"parent-cid\": 2, \"extents\": [5]}"
                + "|$.format-specific.data.extents[0] must be an object but is number",
        "luks|{\"cipher-alg\": \"a\", \"cipher-mode\": \"m\", \"ivgen-alg\": \"i\", \"hash-alg\": \"h\", \"slots\": [5]}"
                + "|$.format-specific.data.slots[0] must be an object but is number",
        "luks|{\"cipher-alg\": \"a\", \"cipher-mode\": \"m\", \"ivgen-alg\": \"i\", \"hash-alg\": \"h\", \"slots\": [{\"key-offset\": 1}]}"
                + "|required field $.format-specific.data.slots[0].active is missing",
    })
    void formatSpecificErrorsNameTheFieldPath(String type, String data, String message) {
        assertThatThrownBy(() -> QemuImgInfo.fromJson(withSpecific(type, data)))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessage(message);
    }

    @Test
    void formatSpecificWithoutDataIsReadAsEmptyData() {
        assertThat(QemuImgInfo.fromJson("{" + RAW + ", \"format-specific\": {\"type\": \"vpc\"}}").formatSpecific())
                .contains(new QemuImgFormatSpecific.Other("vpc", new QemuImgValue.Fields(Map.of())));
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{" + RAW + ", \"format-specific\": {\"type\": \"qcow2\"}}"))
                .hasMessage("required field $.format-specific.data.compat is missing");
    }

    @Test
    void qcow2EncryptionOtherThanLuksHasNoLuksDetails() {
        QemuImgFormatSpecific.Qcow2 q = (QemuImgFormatSpecific.Qcow2) QemuImgInfo.fromJson(withSpecific("qcow2",
                "{\"compat\": \"0.10\", \"encrypt\": {\"format\": \"aes\"}}")).formatSpecific().orElseThrow();

        assertThat(q.encrypt()).get().satisfies(e -> {
            assertThat(e.format()).isEqualTo("aes");
            assertThat(e.luks()).isEmpty();
        });
    }

    @Test
    void snapshotNanosecondsUpToJustBelowOneSecondAreAccepted() {
        QemuImgInfo info = QemuImgInfo.fromJson("{" + RAW + ", \"snapshots\": [{\"id\": \"1\", \"date-sec\": 5, "
                + "\"date-nsec\": 999999999, \"vm-clock-sec\": 6, \"vm-clock-nsec\": 999999999}]}");

        assertThat(info.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.date()).isEqualTo(Instant.ofEpochSecond(5, 999_999_999));
            assertThat(s.vmClock()).isEqualTo(Duration.ofSeconds(6, 999_999_999));
            assertThat(s.name()).isEmpty();
            assertThat(s.vmStateSize()).isZero();
            assertThat(s.icount()).isEmpty();
        });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"date-sec\": 5, \"date-nsec\": 1000000000|nanoseconds out of range at $.snapshots[0]",
        "\"date-sec\": 5, \"vm-clock-nsec\": 1000000000|nanoseconds out of range at $.snapshots[0]",
        "\"date-sec\": 9223372036854775807|date-sec out of range at $.snapshots[0]: 9223372036854775807",
    })
    void snapshotTimesOutOfRangeAreRefused(String fields, String message) {
        assertThatThrownBy(() -> QemuImgInfo.fromJson("{" + RAW + ", \"snapshots\": [{\"id\": \"1\", " + fields + "}]}"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessage(message);
    }

    @Test
    void zeroAndTheLargestLongAreValidSizes() {
        assertThat(QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": 0}").virtualSize())
                .isZero();
        assertThat(QemuImgInfo.fromJson("{\"filename\": \"a\", \"format\": \"raw\", \"virtual-size\": "
                + Long.MAX_VALUE + "}").virtualSize()).isEqualTo(Long.MAX_VALUE);
    }

    // ---- human text ----

    @Test
    void acceptsHumanTextOfExactlyTheCapAndRefusesOneCharacterMore() {
        assertThat(QemuImgInfo.fromHumanText(padded(HUMAN, QemuImgHumanInfoParser.MAX_CHARS)).virtualSize())
                .isEqualTo(1 << 20);
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(padded(HUMAN, QemuImgHumanInfoParser.MAX_CHARS + 1)))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("accepted");
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(null)).hasMessage("qemu-img info text is missing");
    }

    @Test
    void humanTextWithCrLfLineEndsIsRead() {
        QemuImgInfo info = QemuImgInfo.fromHumanText(HUMAN.replace("\n", "\r\n") + "cluster_size: 512\r\n");

        assertThat(info.formatName()).isEqualTo("raw");
        assertThat(info.clusterSize()).hasValue(512);
    }

    @Test
    void backingFileWhoseActualPathQemuCannotDetermine() {
        QemuImgInfo info = QemuImgInfo.fromHumanText(HUMAN + "backing file: b.qcow2 (cannot determine actual path)\n");

        assertThat(info.backingFilename()).contains("b.qcow2");
        assertThat(info.fullBackingFilename()).isEmpty();
    }

    @Test
    void snapshotListAtTheEndOfTheText() {
        QemuImgInfo empty = QemuImgInfo.fromHumanText(HUMAN + "Snapshot list:\n");
        QemuImgInfo rows = QemuImgInfo.fromHumanText(HUMAN + "Snapshot list:\n"
                + "ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n"
                + "1         first               0 B 2023-11-14 22:13:20 00:00:01.000\n"
                + "2         second            1.5 KiB 2023-11-14 22:13:21 10:20:30.040          7\n");

        assertThat(empty.snapshots()).isEmpty();
        assertThat(rows.snapshots()).hasSize(2);
        assertThat(rows.snapshots().get(0).icount()).isEmpty();
        assertThat(rows.snapshots().get(1)).satisfies(s -> {
            assertThat(s.id()).isEqualTo("2");
            assertThat(s.name()).isEqualTo("second");
            assertThat(s.vmStateSize()).isEqualTo(1536);
            assertThat(s.date()).isEqualTo(Instant.parse("2023-11-14T22:13:21Z"));
            assertThat(s.vmClock()).isEqualTo(Duration.ofHours(10).plusMinutes(20).plusSeconds(30).plusMillis(40));
            assertThat(s.icount()).hasValue(7);
        });
    }

    @Test
    void snapshotRowWithAnImpossibleDateIsRefused() {
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(HUMAN + "Snapshot list:\n"
                + "1         first               0 B 2023-13-45 22:13:20 00:00:01.000\n"))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("bad snapshot date");
    }

    @Test
    void formatSpecificHeaderWithoutABlockGivesEmptyDataAndKeepsReadingTopLevelLines() {
        QemuImgInfo last = QemuImgInfo.fromHumanText(HUMAN + "Format specific information:\n");
        QemuImgInfo between = QemuImgInfo.fromHumanText("image: a\nfile format: raw\nFormat specific information:\n"
                + "virtual size: 1 MiB (1048576 bytes)\n");

        assertThat(last.formatSpecific()).contains(new QemuImgFormatSpecific.Other("raw", new QemuImgValue.Fields(Map.of())));
        assertThat(between.virtualSize()).isEqualTo(1 << 20);
        assertThat(between.formatSpecific()).contains(new QemuImgFormatSpecific.Other("raw", new QemuImgValue.Fields(Map.of())));
    }

    @Test
    void formatSpecificBlockReadsScalarsEmptyValuesListsAndHugeIntegers() {
        QemuImgInfo info = QemuImgInfo.fromHumanText(HUMAN + "Format specific information:\n"
                + "    empty:\n"
                + "    flag: false\n"
                + "    negative: -3\n"
                + "    max u64: 18446744073709551615\n"
                + "    items:\n"
                + "        [0]: one\n"
                + "        [1]:\n"
                + "            deep key: 2\n");

        assertThat(info.formatSpecific()).contains(new QemuImgFormatSpecific.Other("raw", new QemuImgValue.Fields(Map.of(
                "empty", new QemuImgValue.Text(""),
                "flag", new QemuImgValue.Bool(false),
                "negative", new QemuImgValue.Num(BigDecimal.valueOf(-3)),
                "max-u64", new QemuImgValue.Num(new BigDecimal("18446744073709551615")),
                "items", new QemuImgValue.Items(List.of(new QemuImgValue.Text("one"),
                        new QemuImgValue.Fields(Map.of("deep-key", new QemuImgValue.Num(BigDecimal.valueOf(2))))))))));
    }

    @Test
    void formatSpecificBlockErrorsQuoteTheLine() {
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(HUMAN + "Format specific information:\n    no colon here\n"))
                .hasMessage("expected 'key: value' in format specific information: no colon here");
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(HUMAN + "Format specific information:\n"
                + "    a: 1\n        b: 2\n"))
                .hasMessage("unexpected indentation in format specific information: b: 2");
    }

    @Test
    void humanNumbersAndBooleansAreAcceptedWhereTextIsExpected() {
        QemuImgInfo info = QemuImgInfo.fromHumanText("image: a\nfile format: qcow2\nvirtual size: 1 MiB (1048576 bytes)\n"
                + "Format specific information:\n"
                + "    compat: 1.1\n"
                + "    data file: true\n"
                + "    bitmaps:\n"
                + "        [0]:\n"
                + "            name: 7\n"
                + "            granularity: 65536\n");

        QemuImgFormatSpecific.Qcow2 q = (QemuImgFormatSpecific.Qcow2) info.formatSpecific().orElseThrow();
        assertThat(q.dataFile()).contains("true");
        assertThat(q.bitmaps()).singleElement().extracting(QemuImgFormatSpecific.Qcow2Bitmap::name).isEqualTo("7");
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText("image: a\nfile format: qcow2\nvirtual size: 1 MiB (1048576 bytes)\n"
                + "Format specific information:\n    compat:\n        nested: 1\n"))
                .hasMessage("$.format-specific.data.compat must be a string but is object");
    }

    @Test
    void unknownTopLevelLinesWithoutAValueAreKeptByTheirLabel() {
        QemuImgInfo info = QemuImgInfo.fromHumanText(HUMAN + "Some label:\nbare words\n");

        assertThat(info.unknown()).containsExactly(
                Map.entry("Some-label", new QemuImgValue.Text("")),
                Map.entry("bare-words", new QemuImgValue.Text("")));
    }

    @Test
    void linesWithAnEmptyLabelKeepTheirValueUnderAnEmptyKey() {
        QemuImgInfo info = QemuImgInfo.fromHumanText(HUMAN + ": top\nFormat specific information:\n    : nested\n");

        assertThat(info.unknown()).containsExactly(Map.entry("", new QemuImgValue.Text("top")));
        assertThat(info.formatSpecific()).contains(new QemuImgFormatSpecific.Other("raw",
                new QemuImgValue.Fields(Map.of("", new QemuImgValue.Text("nested")))));
    }

    @Test
    void humanSizesAreConvertedByUnitAndRoundedAndNegativeOrHugeCountsRefused() {
        assertThat(QemuImgInfo.fromHumanText(HUMAN + "disk size: 1.21 MiB\n").actualSize())
                .hasValue(Math.round(1.21 * (1 << 20)));
        assertThat(QemuImgInfo.fromHumanText(HUMAN + "disk size: 0 B\ncluster_size: 0\n").actualSize()).hasValue(0);
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(HUMAN + "cluster_size: -5\n"))
                .hasMessage("not a byte count in line: cluster_size: -5");
        assertThatThrownBy(() -> QemuImgInfo.fromHumanText(HUMAN + "disk size: 16 EiB\n"))
                .hasMessage("size out of range in line: disk size: 16 EiB");
    }
}

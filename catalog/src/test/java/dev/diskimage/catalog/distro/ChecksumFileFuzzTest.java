package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

/** Any checksum file parses; every checksum it yields fits its algorithm. */
class ChecksumFileFuzzTest {

    @ShortFuzzTest
    void parsesAnyText(FuzzedDataProvider data) {
        String name = data.pickValue(new String[] {"CHECKSUM", "SHA256SUMS", "SHA512SUMS", "MD5SUMS", "x.sha256"});
        String file = data.consumeString(40);
        ChecksumFile parsed = ChecksumFile.parse(name, data.consumeRemainingAsString());
        assertThat(parsed.size()).isLessThanOrEqualTo(ChecksumFile.MAX_LINES);
        parsed.forFile(file).ifPresent(checksum ->
                assertThat(checksum.hex()).hasSize(checksum.algorithm().digestBytes() * 2).matches("[0-9a-f]+"));
    }
}

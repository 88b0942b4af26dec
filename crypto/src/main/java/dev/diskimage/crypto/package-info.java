/**
 * Encryption for disk images: the cipher a LUKS target uses ({@link dev.diskimage.crypto.CipherSpec},
 * Cinder's {@code decode_cipher}), what a LUKS header says and whether a passphrase opens it
 * ({@link dev.diskimage.crypto.LuksHeader}, pure Java with Bouncy Castle), and how a passphrase
 * reaches qemu-img without a command line or a log seeing it ({@link dev.diskimage.crypto.QemuSecret}),
 * and whether an image's Glance signature holds
 * ({@link dev.diskimage.crypto.ImageSignatureVerifier}, checking what cursive checks: the
 * signature properties of {@link dev.diskimage.crypto.ImageSignature}, a certificate from a
 * {@link dev.diskimage.crypto.CertificateStore} under a {@link dev.diskimage.crypto.TrustPolicy}).
 *
 * <p>The LUKS on-disk structures are parsed by {@code dev.diskimage.core.luks}, the parser the
 * validator uses too; this package adds what needs key material: key derivation, key slot
 * decryption, the anti-forensic merge and the master key digest check.
 */
package dev.diskimage.crypto;

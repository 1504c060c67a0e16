// SE05x applet constants (AN12413 as implemented by NXP's middleware; see
// docs/se05x-protocol.md §4 and §5).
#pragma once

#include <array>
#include <cstdint>

namespace sx::se05x {

inline constexpr uint8_t kCla = 0x80;

inline constexpr std::array<uint8_t, 16> kAppletAid = {0xA0, 0x00, 0x00, 0x03, 0x96, 0x54, 0x53, 0x00,
                                                       0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00};

// Instruction byte; the flags below are OR-ed into it.
namespace ins {
inline constexpr uint8_t kWrite = 0x01;
inline constexpr uint8_t kRead = 0x02;
inline constexpr uint8_t kCrypto = 0x03;
inline constexpr uint8_t kMgmt = 0x04;
inline constexpr uint8_t kProcess = 0x05;
inline constexpr uint8_t kTransient = 0x80;
inline constexpr uint8_t kAuthObject = 0x40;
inline constexpr uint8_t kAttest = 0x20;
inline constexpr uint8_t kMask = 0x1F;  // command class without flags
}  // namespace ins

// P1: low five bits = credential type, bits 6..5 = key part.
namespace p1 {
inline constexpr uint8_t kDefault = 0x00;
inline constexpr uint8_t kKeyPair = 0x60;
inline constexpr uint8_t kPrivate = 0x40;
inline constexpr uint8_t kPublic = 0x20;
inline constexpr uint8_t kKeyPartMask = 0x60;
inline constexpr uint8_t kUpperMask = 0xE0;  // all but the credential type
inline constexpr uint8_t kTypeMask = 0x1F;
inline constexpr uint8_t kEc = 0x01;
inline constexpr uint8_t kRsa = 0x02;
inline constexpr uint8_t kAes = 0x03;
inline constexpr uint8_t kDes = 0x04;
inline constexpr uint8_t kHmac = 0x05;
inline constexpr uint8_t kBinary = 0x06;
inline constexpr uint8_t kUserId = 0x07;
inline constexpr uint8_t kCounter = 0x08;
inline constexpr uint8_t kPcr = 0x09;
inline constexpr uint8_t kCurve = 0x0B;
inline constexpr uint8_t kSignature = 0x0C;
inline constexpr uint8_t kMac = 0x0D;
inline constexpr uint8_t kCipher = 0x0E;
inline constexpr uint8_t kTls = 0x0F;
inline constexpr uint8_t kCryptoObj = 0x10;
}  // namespace p1

namespace p2 {
inline constexpr uint8_t kDefault = 0x00;
inline constexpr uint8_t kGenerate = 0x03;
inline constexpr uint8_t kCreate = 0x04;
inline constexpr uint8_t kSize = 0x07;
inline constexpr uint8_t kSign = 0x09;
inline constexpr uint8_t kVerify = 0x0A;
inline constexpr uint8_t kOneShot = 0x0E;
inline constexpr uint8_t kDh = 0x0F;
inline constexpr uint8_t kSessionCreate = 0x1B;
inline constexpr uint8_t kSessionClose = 0x1C;
inline constexpr uint8_t kSessionRefresh = 0x1E;
inline constexpr uint8_t kSessionPolicy = 0x1F;
inline constexpr uint8_t kVersion = 0x20;
inline constexpr uint8_t kVersionExt = 0x21;
inline constexpr uint8_t kMemory = 0x22;
inline constexpr uint8_t kList = 0x25;
inline constexpr uint8_t kType = 0x26;
inline constexpr uint8_t kExist = 0x27;
inline constexpr uint8_t kDeleteObject = 0x28;
inline constexpr uint8_t kDeleteAll = 0x2A;
inline constexpr uint8_t kSessionUserId = 0x2C;
inline constexpr uint8_t kCurveList = 0x34;  // not used by the MW's ReadECCurveList (it sends 0x25)
inline constexpr uint8_t kId = 0x36;
inline constexpr uint8_t kEncryptOneShot = 0x37;
inline constexpr uint8_t kDecryptOneShot = 0x38;
inline constexpr uint8_t kAttestation = 0x3A;
inline constexpr uint8_t kAttributes = 0x3B;
inline constexpr uint8_t kCplc = 0x3C;
inline constexpr uint8_t kTime = 0x3D;
inline constexpr uint8_t kVariant = 0x3F;
inline constexpr uint8_t kParam = 0x40;
inline constexpr uint8_t kDeleteCurve = 0x41;
inline constexpr uint8_t kRandom = 0x49;
inline constexpr uint8_t kRaw = 0x4F;
inline constexpr uint8_t kScp = 0x52;  // SetPlatformSCPRequest (docs/scp03.md §7)
}  // namespace p2

namespace tag {
inline constexpr uint8_t kSessionId = 0x10;
inline constexpr uint8_t kPolicy = 0x11;
inline constexpr uint8_t kMaxAttempts = 0x12;
inline constexpr uint8_t kImportAuthData = 0x13;
inline constexpr uint8_t kImportAuthKeyId = 0x14;
inline constexpr uint8_t kPolicyCheck = 0x15;
inline constexpr uint8_t k1 = 0x41;
inline constexpr uint8_t k2 = 0x42;
inline constexpr uint8_t k3 = 0x43;
inline constexpr uint8_t k4 = 0x44;
inline constexpr uint8_t k5 = 0x45;
inline constexpr uint8_t k6 = 0x46;
inline constexpr uint8_t k7 = 0x47;
inline constexpr uint8_t k8 = 0x48;
inline constexpr uint8_t k9 = 0x49;
inline constexpr uint8_t k10 = 0x4A;
inline constexpr uint8_t k11 = 0x4B;
}  // namespace tag

// Status words.
namespace sw {
inline constexpr uint16_t kOk = 0x9000;
inline constexpr uint16_t kWrongLength = 0x6700;
inline constexpr uint16_t kSecurityStatus = 0x6982;
inline constexpr uint16_t kAuthBlocked = 0x6983;  // authentication method blocked (ISO 7816-4)
inline constexpr uint16_t kDataInvalid = 0x6984;
inline constexpr uint16_t kConditionsNotSatisfied = 0x6985;
inline constexpr uint16_t kCommandNotAllowed = 0x6986;
inline constexpr uint16_t kWrongData = 0x6A80;
inline constexpr uint16_t kFileNotFound = 0x6A82;
inline constexpr uint16_t kFileFull = 0x6A84;
inline constexpr uint16_t kWrongP1P2 = 0x6A86;
inline constexpr uint16_t kInsNotSupported = 0x6D00;
inline constexpr uint16_t kClaNotSupported = 0x6E00;
inline constexpr uint16_t kApduThroughput = 0x66A6;
inline constexpr uint16_t kUnknown = 0x6F00;
}  // namespace sw

// SecureObjectType as returned by ReadType (applet 3.x codes).
enum class ObjectType : uint8_t {
  EcKeyPair = 0x01,
  EcPrivate = 0x02,
  EcPublic = 0x03,
  RsaKeyPair = 0x04,
  RsaKeyPairCrt = 0x05,
  RsaPrivate = 0x06,
  RsaPrivateCrt = 0x07,
  RsaPublic = 0x08,
  Aes = 0x09,
  Des = 0x0A,
  BinaryFile = 0x0B,
  UserId = 0x0C,
  Counter = 0x0D,
  Pcr = 0x0F,
  Curve = 0x10,
  Hmac = 0x11,
};

// Curve identifiers (CreateECCurve, WriteECKey TAG_2, GetECCurveId).
enum class Curve : uint8_t {
  None = 0x00,
  NistP192 = 0x01,
  NistP224 = 0x02,
  NistP256 = 0x03,
  NistP384 = 0x04,
  NistP521 = 0x05,
  Brainpool160 = 0x06,
  Brainpool192 = 0x07,
  Brainpool224 = 0x08,
  Brainpool256 = 0x09,
  Brainpool320 = 0x0A,
  Brainpool384 = 0x0B,
  Brainpool512 = 0x0C,
  Secp160k1 = 0x0D,
  Secp192k1 = 0x0E,
  Secp224k1 = 0x0F,
  Secp256k1 = 0x10,
  TpmBnP256 = 0x11,
  Ed25519 = 0x40,
  X25519 = 0x41,
  X448 = 0x43,
};

// SetECCurveParam TAG_2.
enum class CurveParam : uint8_t { A = 0x01, B = 0x02, G = 0x04, N = 0x08, Prime = 0x10 };

// ReadECCurveList entries.
inline constexpr uint8_t kCurveNotSet = 0x01;
inline constexpr uint8_t kCurveSet = 0x02;

// CheckObjectExists / verify results.
inline constexpr uint8_t kResultSuccess = 0x01;
inline constexpr uint8_t kResultFailure = 0x02;

// ReadIDList "more" flag.
inline constexpr uint8_t kNoMore = 0x01;
inline constexpr uint8_t kMore = 0x02;

// Transient indicator (ReadType TAG_2).
inline constexpr uint8_t kPersistent = 0x01;
inline constexpr uint8_t kTransientObj = 0x02;

// GetFreeMemory memory types.
enum class MemoryType : uint8_t { Persistent = 0x01, TransientReset = 0x02, TransientDeselect = 0x03 };

enum class EcSignAlgo : uint8_t {
  Plain = 0x09,
  Sha1 = 0x11,
  Sha224 = 0x25,
  Sha256 = 0x21,
  Sha384 = 0x22,
  Sha512 = 0x26,
  Ed25519Pure = 0xA3,
};

enum class RsaSignAlgo : uint8_t {
  Pkcs1Sha1 = 0x0A,
  Pkcs1Sha224 = 0x27,
  Pkcs1Sha256 = 0x28,
  Pkcs1Sha384 = 0x29,
  Pkcs1Sha512 = 0x2A,
  PssSha1 = 0x15,
  PssSha224 = 0x2B,
  PssSha256 = 0x2C,
  PssSha384 = 0x2D,
  PssSha512 = 0x2E,
};

enum class RsaEncAlgo : uint8_t { NoPad = 0x0C, Pkcs1 = 0x0A, OaepSha1 = 0x0F };

// DigestOneShot / digest mode (TAG_1 of 80 03 00 0E).
enum class DigestAlgo : uint8_t { Sha1 = 0x01, Sha224 = 0x07, Sha256 = 0x04, Sha384 = 0x05, Sha512 = 0x06 };

// WriteRSAKey P2: key format.
inline constexpr uint8_t kRsaFormatCrt = 0x00;
inline constexpr uint8_t kRsaFormatRaw = 0x4F;

// ReadObject TAG_4: RSA component.
enum class RsaComponent : uint8_t { Modulus = 0x00, PublicExponent = 0x01 };

// Object origin (ReadObjectAttributes).
enum class Origin : uint8_t { External = 0x01, Internal = 0x02, Provisioned = 0x03 };

// Access-rule bits of a policy entry (applet 3.x).
namespace policy {
inline constexpr uint32_t kForbidAll = 0x20000000;
inline constexpr uint32_t kAllowSign = 0x10000000;
inline constexpr uint32_t kAllowVerify = 0x08000000;
inline constexpr uint32_t kAllowKeyAgreement = 0x04000000;
inline constexpr uint32_t kAllowEncrypt = 0x02000000;
inline constexpr uint32_t kAllowDecrypt = 0x01000000;
inline constexpr uint32_t kAllowKdf = 0x00800000;
inline constexpr uint32_t kAllowWrap = 0x00400000;
inline constexpr uint32_t kAllowRead = 0x00200000;
inline constexpr uint32_t kAllowWrite = 0x00100000;
inline constexpr uint32_t kAllowGen = 0x00080000;
inline constexpr uint32_t kAllowDelete = 0x00040000;
inline constexpr uint32_t kRequireSm = 0x00020000;
inline constexpr uint32_t kRequirePcr = 0x00010000;
inline constexpr uint32_t kAllowAttestation = 0x00008000;
inline constexpr uint32_t kAllowImportExport = 0x00001000;
}  // namespace policy

// Object-ID ranges and well-known IDs.
namespace objid {
inline constexpr uint32_t kUserFirst = 0x00000001;
inline constexpr uint32_t kUserLast = 0x7BFFFFFF;
inline constexpr uint32_t kReservedFirst = 0x7FFF0000;
inline constexpr uint32_t kReservedLast = 0x7FFFFFFF;
inline constexpr uint32_t kUniqueId = 0x7FFF0206;
// The reserved UserID whose session may change "platform SCP required" (docs/scp03.md §7).
inline constexpr uint32_t kPlatformScpAuth = 0x7FFF0207;
inline constexpr uint32_t kTrustProvisionedFirst = 0xF0000000;
// Factory (trust-provisioned) credentials shipped in the simulator image.
inline constexpr uint32_t kFactoryEcKey = 0xF0000100;
inline constexpr uint32_t kFactoryEcCert = 0xF0000101;
inline constexpr uint32_t kFactoryRsaKey = 0xF0000110;
inline constexpr uint32_t kFactoryRsaCert = 0xF0000111;
}  // namespace objid

// Largest C-APDU / R-APDU the applet accepts (whole buffer).
inline constexpr size_t kMaxApduApplet3 = 892;
inline constexpr size_t kMaxApduApplet7 = 1024;
// Binary files are at most this long.
inline constexpr size_t kMaxBinaryFile = 0x7FFF;
// Chunk size NXP's middleware uses for binary reads and writes.
inline constexpr size_t kBinaryChunk = 500;

}  // namespace sx::se05x

// Private to the client_*.cpp files: the command table and shared helpers.
#pragma once

#include <string_view>

#include "se05x/apdu.h"
#include "se05x/client.h"
#include "se05x/constants.h"
#include "se05x/tlv.h"

namespace sx::se05x {

struct CmdSpec {
  const char* name;
  CommandHeader header;
  LeMode le;  // per protocol notes 4.2
  CmdSpec with_ins_p1(uint8_t ins_flags, uint8_t p1v) const {
    CmdSpec c = *this;
    c.header.ins = static_cast<uint8_t>(c.header.ins | ins_flags);
    c.header.p1 = p1v;
    return c;
  }
  CmdSpec with_p2(uint8_t p2v) const {
    CmdSpec c = *this;
    c.header.p2 = p2v;
    return c;
  }
};

namespace cmd {
constexpr LeMode S = LeMode::None;
constexpr LeMode E = LeMode::Extended;
// clang-format off
inline constexpr CmdSpec kGetVersion      {"GetVersion",             {kCla, ins::kMgmt,   p1::kDefault,   p2::kVersion},        S};
inline constexpr CmdSpec kGetFreeMemory   {"GetFreeMemory",          {kCla, ins::kMgmt,   p1::kDefault,   p2::kMemory},         S};
inline constexpr CmdSpec kGetRandom       {"GetRandom",              {kCla, ins::kMgmt,   p1::kDefault,   p2::kRandom},         E};
inline constexpr CmdSpec kCheckExists     {"CheckObjectExists",      {kCla, ins::kMgmt,   p1::kDefault,   p2::kExist},          S};
inline constexpr CmdSpec kDeleteObject    {"DeleteSecureObject",     {kCla, ins::kMgmt,   p1::kDefault,   p2::kDeleteObject},   S};
inline constexpr CmdSpec kReadType        {"ReadType",               {kCla, ins::kRead,   p1::kDefault,   p2::kType},           S};
inline constexpr CmdSpec kReadSize        {"ReadSize",               {kCla, ins::kRead,   p1::kDefault,   p2::kSize},           S};
inline constexpr CmdSpec kReadIdList      {"ReadIDList",             {kCla, ins::kRead,   p1::kDefault,   p2::kList},           E};
inline constexpr CmdSpec kGetCurveId      {"GetECCurveId",           {kCla, ins::kRead,   p1::kCurve,     p2::kId},             S};
inline constexpr CmdSpec kReadAttributes  {"ReadObjectAttributes",   {kCla, ins::kRead,   p1::kDefault,   p2::kAttributes},     S};
inline constexpr CmdSpec kReadObject      {"ReadObject",             {kCla, ins::kRead,   p1::kDefault,   p2::kDefault},        E};
inline constexpr CmdSpec kReadCurveList   {"ReadECCurveList",        {kCla, ins::kRead,   p1::kCurve,     p2::kList},           S};
inline constexpr CmdSpec kCreateCurve     {"CreateECCurve",          {kCla, ins::kWrite,  p1::kCurve,     p2::kCreate},         S};
inline constexpr CmdSpec kSetCurveParam   {"SetECCurveParam",        {kCla, ins::kWrite,  p1::kCurve,     p2::kParam},          S};
inline constexpr CmdSpec kWriteBinary     {"WriteBinary",            {kCla, ins::kWrite,  p1::kBinary,    p2::kDefault},        S};
inline constexpr CmdSpec kWriteEcKey      {"WriteECKey",             {kCla, ins::kWrite,  p1::kEc,        p2::kDefault},        S};
inline constexpr CmdSpec kWriteRsaKey     {"WriteRSAKey",            {kCla, ins::kWrite,  p1::kRsa,       p2::kDefault},        S};
inline constexpr CmdSpec kEcdsaSign       {"ECDSASign",              {kCla, ins::kCrypto, p1::kSignature, p2::kSign},           S};
inline constexpr CmdSpec kEcdsaVerify     {"ECDSAVerify",            {kCla, ins::kCrypto, p1::kSignature, p2::kVerify},         S};
inline constexpr CmdSpec kRsaSign         {"RSASign",                {kCla, ins::kCrypto, p1::kSignature, p2::kSign},           E};
inline constexpr CmdSpec kRsaVerify       {"RSAVerify",              {kCla, ins::kCrypto, p1::kSignature, p2::kVerify},         S};
inline constexpr CmdSpec kRsaEncrypt      {"RSAEncrypt",             {kCla, ins::kCrypto, p1::kRsa,       p2::kEncryptOneShot}, E};
inline constexpr CmdSpec kRsaDecrypt      {"RSADecrypt",             {kCla, ins::kCrypto, p1::kRsa,       p2::kDecryptOneShot}, E};
inline constexpr CmdSpec kEcdh            {"ECDHGenerateSharedSecret", {kCla, ins::kCrypto, p1::kEc,      p2::kDh},             E};
inline constexpr CmdSpec kDigestOneShot   {"DigestOneShot",          {kCla, ins::kCrypto, p1::kDefault,   p2::kOneShot},        S};
// clang-format on
}  // namespace cmd

// TLV_1 = object ID: the body of most object commands.
inline Bytes id_body(uint32_t id) { return TlvWriter().u32(tag::k1, id).take(); }

// Prefixes an error message with the command name ("ReadType: ...").
Error in_command(std::string_view name, Error e);

// Passes r through, prefixing an error with the command name.
template <class T>
Result<T> named(std::string_view name, Result<T> r) {
  if (!r.ok()) return in_command(name, r.take_error());
  return r;
}

// Requires data to be exactly one TLV with this tag; returns its value.
Result<ByteView> only_tlv(ByteView data, uint8_t tag, std::string_view name);

// Requires the reader to be exhausted.
Status expect_end(const TlvReader& r, std::string_view name);

inline Error invalid(std::string_view name, std::string_view what) {
  return make_error(Errc::InvalidArgument, std::string(name) + ": " + std::string(what));
}

}  // namespace sx::se05x

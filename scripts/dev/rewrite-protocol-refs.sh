#!/usr/bin/env bash
# Rewrites citations of research notes that live outside this repository ("protocol notes 4.2",
# "section 1.8 of the protocol notes", "/work/shared/docs/se05x-protocol.md", "prior-art 4.2",
# "greengrass-requirements.md sections 1.4, 3 and 4", a bare "Appendix A" in the T=1 tests, ...)
# into the one form that resolves inside the tree:
#
#     docs/se05x-protocol.md §4.2            one section
#     docs/se05x-protocol.md §4.6.2, §4.6.3  several; a range is §4.6.4-§4.6.6
#     docs/se05x-protocol.md Appendix A      an appendix
#     docs/greengrass.md §1.4                Greengrass facts
#
# Every § number names a heading of that document (tests/docs/check_doc_refs.sh checks it).
# Usage: scripts/dev/rewrite-protocol-refs.sh [ROOT]   (default: the repository this script is in)
# Rewrites files in place under src/ tests/ bench/ docs/ and README.md; prints each file it
# changed. Running it twice changes nothing the second time.
set -euo pipefail
ROOT="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"

mapfile -d '' files < <(find src tests bench docs README.md -type f \
  \( -name '*.h' -o -name '*.cpp' -o -name '*.c' -o -name '*.md' -o -name '*.sh' -o -name '*.cmake' \
     -o -name 'CMakeLists.txt' -o -name '*.java' -o -name '*.py' \) \
  -not -path 'tests/docs/*' -print0 2>/dev/null)
[ "${#files[@]}" -gt 0 ] || { echo "no files under $ROOT" >&2; exit 1; }

# The rules run in order over the whole file (so a citation broken over two comment lines can be
# matched); directory-scoped rules look at $ARGV.
perl -0777 -i -ne '
  my $orig = $_;
  my $P = "docs/se05x-protocol.md";
  my $G = "docs/greengrass.md";
  my $num = qr/(?:§)?\d+(?:\.\d+)*[a-z]?/;                       # 4.6.9, §4.2, 9a
  my $list = qr/$num(?:(?:,\s*and\s+|,\s*|\s+and\s+|-|\/)$num)*/;
  # "4.6.4-4.6.6, 4.8 and 5" -> "§4.6.4-§4.6.6, §4.8 and §5"
  my $sect = sub { my $l = shift; $l =~ s/(?<![\d.§])(\d+(?:\.\d+)*[a-z]?)/§$1/g; $l };

  # Paths to the research notes outside the tree.
  s{(?:/work/shared|\.\./shared|shared)/docs/se05x-protocol\.md}{$P}g;
  s{(?:/work/shared|\.\./shared|shared)/docs/greengrass-requirements\.md}{$G}g;
  s{`?(?:/work/shared|\.\./shared|shared)/docs/design-constraints\.md`?}{docs/architecture.md "Constraints"}g;

  # Whole phrases first (they read better than the mechanical result).
  s{ the exact bytes of the protocol notes\n(\s*//\s*)\(section (\d+(?:\.\d+)*)\)}{ the exact bytes of\n$1$P §$2}g;
  s{a worked example in the notes, built}{a worked example there, built}g;
  s{situations the protocol notes leave open}{situations $P §4\.5 leaves open}g;
  s{docs/se05x-protocol\.md section (\d+) and (\d+) of the shared research notes}{$P §$1 and §$2}g;
  s{sections? ($list) of docs se05x-protocol\.md}{"$P " . $sect->($1)}ge;
  s{\(protocol notes ([\d.]+), ([\d.]+), DigestOneShot\)}{($P §$1, §$2, §4.6.12)}g;
  s{,? ?section ($list) of the protocol notes}{" (" . "$P " . $sect->($1) . ")"}ge;
  s{Charge figures of prior-art 4\.2 }{Charge\x27s published figures }g;
  s{per prior-art 4\.2.s plan}{on hardware}g;

  # "protocol notes §4.2/§4.6.11", "protocol notes section 4.6", "protocol notes 4.6.4-4.6.6"
  s{(?:the )?protocol notes,? (?:sections? )?($list)}{"$P " . $sect->($1)}ge;
  s{(?:the )?protocol notes}{$P}g;
  s{greengrass-requirements\.md,? (?:sections? )?($list)}{"$G " . $sect->($1)}ge;
  s{greengrass-requirements\.md}{$G}g;
  # After the rules above a citation may read "docs/se05x-protocol.md section 4"; one form only.
  s{(\Q$P\E|\Q$G\E),? sections? ($list)}{"$1 " . $sect->($2)}ge;

  # Bare references inside the layers that implement the protocol: "(section 1.10)",
  # "section 1.5 (4-7) and 1.6", "Appendix A", "(4.6.9)".
  if ($ARGV =~ m{^(?:src|tests)/(?:t1|se05x|device)/} || $ARGV =~ m{^src/link/jrcp_server\.h$}
      || $ARGV =~ m{^tests/broker/test_client_main\.cpp$}) {
    # "(docs/token-store.md\n// section 4)" names another document: keep it.
    s{(\.md)(\n\s*//\s*)(sections? \d)}{$1$2SXKEEP$3}g;
    s{(?<![\w/.])(?<!md )sections? (\d+\.\d+(?:\.\d+)*)( \(\d-\d\))? and (\d+\.\d+)}{$P §$1$2 and §$3}g;
    s{(?<![\w/.])(?<!md )sections? (\d+\.\d+(?:\.\d+)*)}{$P §$1}g;
    s{(?<!md )(?<!\w)Appendix ([A-F])\b}{$P Appendix $1}g;
    s{$P Appendix A and $P §}{$P Appendix A and §}g;
    s{SXKEEP}{}g;
  }
  # Two bare numbers outside those folders, matched by their sentence (the files may move).
  s{digests of other lengths before sending \(4\.6\.9\)}{digests of other lengths before sending ($P §4.6.9)}g;
  s{has no explicit policy \(4\.7\)}{has no explicit policy ($P §4.7)}g;

  print;
  print STDERR "rewrote: $ARGV\n" if $_ ne $orig;
' "${files[@]}"

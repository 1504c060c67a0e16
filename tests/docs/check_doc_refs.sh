#!/usr/bin/env bash
# Fails (exit 1, one line per problem) when the tree cites documentation that is not in it:
#  1. a citation "docs/NAME.md §4.6.9" (also lists "§4.6.2, §4.8", ranges "§4.6.4-§4.6.6" and
#     "docs/NAME.md Appendix A") whose section is not a heading of docs/NAME.md;
#  2. a reference to research notes kept outside the repository ("protocol notes 4.2",
#     /work/shared/..., ../shared/docs/..., greengrass-requirements.md, prior-art 4.2, ...);
#  3. a path "docs/X.md" or a Markdown link "(X.md)" that names a file that does not exist.
# Usage: tests/docs/check_doc_refs.sh [ROOT]   (default: the repository this script is in)
# The canonical form is `docs/se05x-protocol.md §N.M` (Appendix X likewise).
set -euo pipefail
ROOT="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"

mapfile -d '' files < <(find src tests bench docs scripts cmake README.md CMakeLists.txt -type f \
  \( -name '*.h' -o -name '*.cpp' -o -name '*.c' -o -name '*.md' -o -name '*.sh' -o -name '*.cmake' \
     -o -name 'CMakeLists.txt' -o -name '*.java' -o -name '*.py' -o -name '*.in' \) \
  -not -path 'tests/docs/*' -print0 2>/dev/null)
[ "${#files[@]}" -gt 0 ] || { echo "check_doc_refs: no files under $ROOT" >&2; exit 1; }

perl -e '
  use strict; use warnings;
  my ($bad, %heads) = (0);
  sub fail { print "$_[0]\n"; $bad++ }
  # The first word of every heading ("4.6.9", "1.", "9a.", "Appendix A.") of one document.
  sub heads_of {
    my ($doc) = @_;
    return $heads{$doc} if exists $heads{$doc};
    my %h;
    if (open(my $fh, "<", $doc)) {
      my $fence = 0;
      while (my $l = <$fh>) {
        $fence = !$fence if $l =~ /^```/;
        next if $fence;
        if ($l =~ /^#{1,6}\s+Appendix\s+([A-Z])\b/) { $h{"Appendix $1"} = 1; next }
        $h{"§$1"} = 1 if $l =~ /^#{1,6}\s+(\d+(?:\.\d+)*[a-z]?)\.?(?:\s|$)/;
      }
    }
    return $heads{$doc} = \%h;
  }
  my $item = qr/(?:§\d+(?:\.\d+)*[a-z]?|Appendix [A-Z]\b)/;
  my $stale = qr{protocol\ notes|/work/shared\b|\.\./shared/|\bshared/docs/|greengrass-requirements\.md
                 |prior-art(?:\.md)?\s+\d|design-constraints\.md|se05x-security\.md|research\ notes}x;
  for my $f (@ARGV) {
    open(my $fh, "<", $f) or next;
    my $n = 0;
    while (my $l = <$fh>) {
      $n++;
      fail("$f:$n: cites notes outside the repository: $&") if $l =~ $stale;
      while ($l =~ m{(?<![\w/.-])(docs/[\w./-]+?\.md)\b((?:\s+|,\s*)$item(?:(?:,\s*and\s+|,\s*|\s+and\s+|-|/)$item)*)?}g) {
        my ($doc, $refs) = ($1, $2);
        if (!-f $doc) { fail("$f:$n: $doc does not exist"); next }
        next unless defined $refs;
        my $h = heads_of($doc);
        for my $r ($refs =~ /($item)/g) {
          fail("$f:$n: $doc has no heading \"$r\"") unless $h->{$r};
        }
      }
      if ($f =~ /\.md$/) {
        while ($l =~ m{\]\(([^)\s#:]+\.md)(?:#[^)]*)?\)}g) {
          my $target = $1;
          (my $dir = $f) =~ s{[^/]*$}{};
          fail("$f:$n: link to $target: no such file") unless -f "$dir$target" || -f $target;
        }
      }
    }
  }
  print "check_doc_refs: $bad problem(s)\n" if $bad;
  exit($bad ? 1 : 0);
' "${files[@]}"

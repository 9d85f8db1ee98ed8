#!/usr/bin/perl
# tests/interop/sign_maildkim.pl -- sign messages with Mail::DKIM::Signer
# (libmail-dkim-perl), as a peer signer for the inbound verification tests.
#
#   sign_maildkim.pl --key FILE --domain D --selector S
#                    [--alg rsa-sha256|rsa-sha1] [--canon HEADER/BODY]
#                    [--oversign From,Subject] [--all-headers]
#                    --out-dir DIR MESSAGE...
#
# Each MESSAGE is written to DIR/<its base name> with Mail::DKIM's
# DKIM-Signature on top (CRLF line ends, as Mail::DKIM signs them).
# Mail::DKIM 1.20230212 (Debian 12) signs with RSA only: no Ed25519.
# --oversign: these fields are signed once more than they occur ('+' in
# Mail::DKIM's extended_headers); --all-headers: every instance of each
# default field ('*'). Exit 0 iff every message was signed.
use strict;
use warnings;
use Getopt::Long;
use File::Basename qw(basename);
use Mail::DKIM::Signer;

my ( $key, $domain, $selector, $outdir );
my $alg   = 'rsa-sha256';
my $canon = 'relaxed/relaxed';
my $oversign = '';
my $all_headers = 0;
GetOptions(
    'key=s'       => \$key,
    'domain=s'    => \$domain,
    'selector=s'  => \$selector,
    'alg=s'       => \$alg,
    'canon=s'     => \$canon,
    'oversign=s'  => \$oversign,
    'all-headers' => \$all_headers,
    'out-dir=s'   => \$outdir,
) or exit 2;
if ( !$key || !$domain || !$selector || !$outdir || !@ARGV ) {
    print STDERR "usage: sign_maildkim.pl --key FILE --domain D --selector S [--alg A] [--canon C] --out-dir DIR MESSAGE...\n";
    exit 2;
}

mkdir $outdir unless -d $outdir;
my $status = 0;
for my $file (@ARGV) {
    open( my $fh, '<:raw', $file ) or die "sign_maildkim: $file: $!\n";
    my $msg = do { local $/; <$fh> };
    close $fh;
    $msg =~ s/\r?\n/\r\n/g;    # Mail::DKIM wants CRLF

    my $dkim = Mail::DKIM::Signer->new(
        Algorithm => $alg,
        Method    => $canon,
        Domain    => $domain,
        Selector  => $selector,
        KeyFile   => $key,
    );
    my %ext;
    if ($all_headers) {
        $ext{$_} = '*' for qw(from to cc subject date message-id reply-to received
                              mime-version content-type x-tag);
    }
    $ext{ lc $_ } = '+' for grep { length } split /,/, $oversign;
    $dkim->extended_headers( \%ext ) if %ext;
    eval {
        $dkim->PRINT($msg);
        $dkim->CLOSE;
        1;
    } or do {
        print STDERR "sign_maildkim: $file: $@";
        $status = 1;
        next;
    };
    my $sig = $dkim->signature;
    if ( !$sig ) {
        print STDERR "sign_maildkim: $file: no signature made\n";
        $status = 1;
        next;
    }
    my $out = "$outdir/" . basename($file);
    open( my $oh, '>:raw', $out ) or die "sign_maildkim: $out: $!\n";
    print $oh $sig->as_string, "\r\n", $msg;
    close $oh or die "sign_maildkim: $out: $!\n";
}
exit $status;

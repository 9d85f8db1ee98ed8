#!/usr/bin/perl
# tests/interop/verify_maildkim.pl -- verify every DKIM-Signature of a message
# with Mail::DKIM::Verifier (libmail-dkim-perl), keys fetched over real DNS
# from the test DNS server on loopback (tests/lib/dnsserver.py) through
# Mail::DKIM::DNS::resolver() set to a Net::DNS::Resolver aimed at it.
#
#   verify_maildkim.pl [--port PORT] [--server ADDR] [--expect-sigs N]
#                      [--expect-fail] MESSAGE
#
# PORT defaults to $DNS_PORT. One line per signature:
#   maildkim: sig 1/2 d=example.com s=rsa a=rsa-sha256 c=relaxed/relaxed: pass
# Exit 0 when there is at least one signature and every one passes (and N of
# them with --expect-sigs); with --expect-fail, exit 0 when at least one
# signature fails and none passes. 1 otherwise, 2 on usage errors.
#
# Mail::DKIM in Debian 12 (1.20230212) has no Ed25519 (no
# Mail::DKIM::Algorithm::ed25519_sha256): it reports such signatures as
# "invalid (unsupported algorithm ed25519-sha256)". When this Mail::DKIM
# cannot load that algorithm, those signatures are reported as
#   maildkim: sig ... a=ed25519-sha256 ...: unsupported (...)
# and count neither as pass nor as fail; if nothing else could be checked
# the exit status is 3. A Mail::DKIM that has the algorithm verifies them.
use strict;
use warnings;
use Getopt::Long;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS::Resolver;

my $port   = $ENV{DNS_PORT} // 0;
my $server = '127.0.0.1';
my $expect_sigs;
my $expect_fail = 0;
GetOptions(
    'port=i'        => \$port,
    'server=s'      => \$server,
    'expect-sigs=i' => \$expect_sigs,
    'expect-fail'   => \$expect_fail,
) or exit 2;
my $file = shift @ARGV;
if ( !defined $file || !$port ) {
    print STDERR "usage: verify_maildkim.pl [--port PORT] [--expect-sigs N] [--expect-fail] MESSAGE\n";
    exit 2;
}

# Only our server: no resolv.conf search list, no other nameservers.
my $res = Net::DNS::Resolver->new(
    nameservers => [$server],
    port        => $port,
    recurse     => 1,
    defnames    => 0,
    dnsrch      => 0,
    retry       => 2,
    retrans     => 1,
    udp_timeout => 5,
    tcp_timeout => 5,
);
Mail::DKIM::DNS::resolver($res);

open( my $fh, '<:raw', $file ) or die "verify_maildkim: $file: $!\n";
my $dkim = Mail::DKIM::Verifier->new();
while ( my $line = <$fh> ) {
    # Mail::DKIM wants CRLF line ends; take LF-only files as well.
    $line =~ s/\r?\n\z/\r\n/;
    $dkim->PRINT($line);
}
close $fh;
$dkim->CLOSE;

my @sigs = grep { $_->isa('Mail::DKIM::Signature') } $dkim->signatures;
if ( !@sigs ) {
    print "maildkim: no DKIM-Signature in $file (result: " . $dkim->result_detail . ")\n";
    exit 1;
}

my $have_ed25519 = eval { require Mail::DKIM::Algorithm::ed25519_sha256; 1 } ? 1 : 0;
my $n           = scalar @sigs;
my $passed      = 0;
my $failed      = 0;
my $unsupported = 0;
my $i           = 0;
for my $sig (@sigs) {
    $i++;
    my $desc = sprintf( 'sig %d/%d d=%s s=%s a=%s c=%s',
        $i, $n, $sig->domain // '?', $sig->selector // '?',
        $sig->algorithm // '?', scalar( $sig->get_tag('c') ) // 'simple/simple' );
    my $result = $sig->result // 'none';
    if ( $result eq 'pass' ) {
        $passed++;
        print "maildkim: $desc: pass\n";
    }
    elsif ( !$have_ed25519
        && lc( $sig->algorithm // '' ) eq 'ed25519-sha256'
        && ( $sig->result_detail // '' ) =~ /unsupported algorithm/ )
    {
        $unsupported++;
        print "maildkim: $desc: unsupported (" . $sig->result_detail
          . "; Mail::DKIM $Mail::DKIM::Verifier::VERSION has no ed25519)\n";
    }
    else {
        $failed++;
        print "maildkim: $desc: " . $sig->result_detail . "\n";
    }
}

if ($expect_fail) {
    exit 1 if $passed;
    exit( $failed ? 0 : 3 );
}
if ( defined $expect_sigs && $n != $expect_sigs ) {
    print "maildkim: expected $expect_sigs signature(s), found $n\n";
    exit 1;
}
exit 1 if $failed;
exit( $passed ? 0 : 3 );

"""What the secret ballot costs (shared/ballot_crypto.py), beside an Ed25519 signature measured in
the same run as the baseline (what every signed token or certificate check already costs).

    .venv/bin/python bench/ballot_crypto.py [--voters 25] [--rounds 200]

Per ballot: sealing it at the gateway (encrypt + proofs) and checking it in review (verify proofs).
Per dossier tally: decrypting the sums of *voters* ballots with proofs of decryption, and an
auditor's check of those ballots and that tally. Medians over *rounds* (tallies: rounds // 10).
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from shared import ballot_crypto as bc  # noqa: E402

CHOICES = ("agree", "disagree", "abstain")


def median_ms(action, rounds):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=25, help="ballots per dossier in the tally rows")
    parser.add_argument("--rounds", type=int, default=200)
    arguments = parser.parse_args(argv)
    secret = bc.derive_secret(os.urandom(32), "bench-meeting")
    public = bc.public_key(secret).hex()
    signer = Ed25519PrivateKey.generate()
    verifier, message = signer.public_key(), os.urandom(200)
    signature = signer.sign(message)
    ballot = bc.encrypt_choice(public, "bench-meeting", "bench-dossier", CHOICES, "agree")
    ballots = [bc.encrypt_choice(public, "bench-meeting", "bench-dossier", CHOICES, CHOICES[n % 3])
               for n in range(arguments.voters)]
    tally = bc.decrypt_tally(secret, "bench-meeting", "bench-dossier", ballots, CHOICES)
    tally_rounds = max(arguments.rounds // 10, 5)
    rows = [
        ("baseline: Ed25519 sign", median_ms(lambda: signer.sign(message), arguments.rounds)),
        ("baseline: Ed25519 verify", median_ms(lambda: verifier.verify(signature, message), arguments.rounds)),
        ("seal one ballot (gateway)", median_ms(
            lambda: bc.encrypt_choice(public, "bench-meeting", "bench-dossier", CHOICES, "agree"), arguments.rounds)),
        ("check one ballot (review)", median_ms(
            lambda: bc.verify_ballot(ballot, public, "bench-meeting", "bench-dossier", CHOICES), arguments.rounds)),
        (f"tally {arguments.voters} ballots (close)", median_ms(
            lambda: bc.decrypt_tally(secret, "bench-meeting", "bench-dossier", ballots, CHOICES), tally_rounds)),
        (f"audit {arguments.voters} ballots + tally", median_ms(
            lambda: [bc.verify_ballot(b, public, "bench-meeting", "bench-dossier", CHOICES) for b in ballots]
            and bc.verify_tally(public, "bench-meeting", "bench-dossier", ballots, CHOICES, tally), tally_rounds)),
    ]
    baseline = rows[1][1]
    print(f"{'operation':40} {'median ms':>10} {'× verify':>9}")
    for name, value in rows:
        print(f"{name:40} {value:10.3f} {value / baseline:9.1f}")
    size = len(str(ballot).encode())
    print(f"stored ballot size: about {size} bytes of JSON")


if __name__ == "__main__":
    main()

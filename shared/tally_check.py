"""Check a closed meeting's published ballot record offline, with no secret:

    python -m shared.tally_check record.json        # or - for standard input

The record is what ``GET /api/v1/meetings/<id>/ballot-record`` answers. Every ballot's proofs are
checked (each is exactly one valid choice), no ballot may appear twice, the ballots of each dossier
must be as many as its receipts, and each tally must be the proven decryption of the ballots' sums.
Prints each dossier's counts and exits 0, or prints the first failure and exits 1.
"""
import argparse
import json
import sys

from shared.ballot_crypto import BallotProofError, verify_record
from shared.contracts.review import CHOICES


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m shared.tally_check", description="核验评审会议的计票记录(无需任何密钥)")
    parser.add_argument("record", help="计票记录 JSON 文件(- 表示标准输入)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.record == "-":
            record = json.load(sys.stdin)
        else:
            with open(arguments.record, encoding="utf-8") as handle:
                record = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"无法读取计票记录:{error}", file=sys.stderr)
        return 2
    try:
        checked = verify_record(record)
    except BallotProofError as error:
        print(f"核验未通过:{error}")
        return 1
    for dossier in checked:
        counts = "、".join(f"{CHOICES.get(choice, choice)} {count}" for choice, count in dossier["counts"].items())
        print(f"{dossier['dossier_id']}:{counts}")
    print(f"核验通过:会议 {record['meeting_id']} 的 {len(checked)} 件申报材料计票结果均与加密选票一致")
    return 0


if __name__ == "__main__":
    sys.exit(main())

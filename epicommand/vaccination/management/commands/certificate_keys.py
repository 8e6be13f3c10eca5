"""Show the province's certificate public key and its key id; with --create, make the signing key.

The public key is what third parties need to verify certificates offline: publish the PEM printed here.
Creating the private key is explicit because in production the key is the operator's to manage: this
command never replaces an existing key (rotation is: move the old key away, list its public PEM in
EPICOMMAND_CERTIFICATE_PUBLIC_KEYS, then run --create)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from epicommand.vaccination import certificates


class Command(BaseCommand):
    help = "Print the certificate public key (PEM) and its kid; --create makes the private key file if missing."
    requires_system_checks: list[str] = []  # usable before the rest of the instance is configured

    def add_arguments(self, parser) -> None:
        parser.add_argument("--create", action="store_true",
                            help="Create the private key file (mode 0600); refuses if one exists.")
        parser.add_argument("--if-missing", action="store_true",
                            help="With --create: keep an existing key instead of refusing (make run).")

    def handle(self, *args, create: bool = False, if_missing: bool = False, **options) -> None:
        path = certificates.key_path()
        if create:
            try:
                certificates.create_key(path)
            except FileExistsError:
                if not if_missing:
                    raise CommandError(f"A certificate key already exists at {path}; refusing to overwrite "
                                       "it.") from None
            else:
                self.stderr.write(f"Created certificate signing key {path} (mode 0600). Keep it secret and backed up.")
        try:
            key = certificates.ensure_key(create=False)
        except certificates.CertificateKeyMissing as exc:
            raise CommandError(str(exc)) from None
        public = key.public_key()
        self.stdout.write(f"kid: {certificates.kid_of(public)}")
        self.stdout.write(certificates.pem_of(public), ending="")

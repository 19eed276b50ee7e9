"""A Deployment and the Secret it names: the in-memory and standard-input tests lint one with the
other on the disk (project context)."""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - secretRef: {name: web-secrets}
"""
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: web-secrets}\nstringData: {a: b}\n"

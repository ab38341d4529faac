"""Reads a CDK cloud assembly and evaluates template values locally.

The resolver knows the intrinsic functions the templates use (Ref,
Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::GetStackOutput,
Fn::ImportValue, Fn::Base64), `{{resolve:secretsmanager:...}}` dynamic
references and parameters of type AWS::SSM::Parameter::Value<...> (the
AWS::SSM::Parameter of the assembly that they name). Resources are mapped to local stand-ins: generated secrets get a
locally generated value that honours their GenerateSecretString, the
database and cache endpoints are the local servers, buckets and services get
made-up names. Anything else fails loudly with Unresolvable.
"""

import json
import os
import re
import secrets
import string

NO_VALUE = object()  # AWS::NoValue

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
# Characters that break naive URL building or shell quoting: put as many of
# them as the secret's rules allow into every generated value.
AWKWARD = "%#:@/?&+=$,;^-_.~!*()[]{}<>|'\""


class Unresolvable(Exception):
    pass


class Stack:
    def __init__(self, name, template, account, region):
        self.name = name
        self.template = template
        self.account = account
        self.region = region
        self.resources = template.get("Resources", {})
        self.outputs = template.get("Outputs", {})

    def of_type(self, type_):
        return {lid: r for lid, r in self.resources.items() if r.get("Type") == type_}


def load_assembly(directory):
    """Returns the stacks of a cloud assembly, by stack name."""
    manifest_path = os.path.join(directory, "manifest.json")
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except OSError as error:
        raise Unresolvable(f"no cloud assembly at {directory}: {error}")
    stacks = {}
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties", {})
        name = props.get("stackName", artifact_id)
        match = re.match(r"aws://([^/]+)/(.+)", artifact.get("environment", ""))
        account, region = (match.group(1), match.group(2)) if match else ("123456789012", "us-east-1")
        if not account.isdigit():
            account = "123456789012"
        with open(os.path.join(directory, props["templateFile"])) as f:
            stacks[name] = Stack(name, json.load(f), account, region)
    if not stacks:
        raise Unresolvable(f"{manifest_path} lists no stack")
    return stacks


def generate_secret(spec, rng=None):
    """A value allowed by a GenerateSecretString, with awkward characters.

    Honours PasswordLength (default 32), ExcludeCharacters,
    ExcludePunctuation, ExcludeUppercase/Lowercase/Numbers, IncludeSpace and
    RequireEachIncludedType (default true)."""
    rng = rng or secrets.SystemRandom()
    length = int(spec.get("PasswordLength", 32))
    exclude = set(spec.get("ExcludeCharacters", ""))
    classes = []
    if not spec.get("ExcludeUppercase"):
        classes.append(string.ascii_uppercase)
    if not spec.get("ExcludeLowercase"):
        classes.append(string.ascii_lowercase)
    if not spec.get("ExcludeNumbers"):
        classes.append(string.digits)
    if not spec.get("ExcludePunctuation"):
        classes.append(PUNCTUATION)
    if spec.get("IncludeSpace"):
        classes.append(" ")
    classes = ["".join(c for c in cls if c not in exclude) for cls in classes]
    classes = [c for c in classes if c]
    alphabet = "".join(classes)
    if not alphabet:
        raise Unresolvable(f"GenerateSecretString {spec} allows no character")
    # "$" first (django-environ reads "$NAME" as a reference to NAME), then
    # the other awkward characters allowed, one of each class, random rest.
    chosen = []
    if "$" in alphabet:
        chosen.append("$")
    chosen += [c for c in AWKWARD if c in alphabet and c not in chosen]
    chosen = chosen[: max(length // 2, 1)]
    if spec.get("RequireEachIncludedType", True):
        for cls in classes:
            if not any(c in cls for c in chosen):
                chosen.append(rng.choice(cls))
    while len(chosen) < length:
        chosen.append(rng.choice(alphabet))
    head, rest = chosen[:1], chosen[1:length]
    if head != ["$"]:
        rng.shuffle(chosen)
        return "".join(chosen[:length])
    rng.shuffle(rest)
    return "".join(head + rest)


class Resolver:
    """Evaluates template expressions against local stand-ins.

    endpoints maps (resource type, attribute) to a value, e.g.
    ("AWS::RDS::DBInstance", "Endpoint.Port") -> "5432"."""

    def __init__(self, stacks, endpoints=None, rng=None):
        self.stacks = stacks
        self.endpoints = dict(endpoints or {})
        self.rng = rng or secrets.SystemRandom()
        self._secret_values = {}
        self._refs = {}
        self.notes = []  # what was given a made-up or empty value, for the report

    # -- lookups ---------------------------------------------------------
    def stack(self, name):
        if name not in self.stacks:
            raise Unresolvable(f"stack {name} is not in the assembly (has {', '.join(sorted(self.stacks))})")
        return self.stacks[name]

    def resources(self, type_):
        for stack in self.stacks.values():
            for lid, resource in stack.of_type(type_).items():
                yield stack, lid, resource

    def secret_by_id(self, secret_id):
        """A secret from its ARN (as this resolver makes them) or its Name."""
        for stack, lid, resource in self.resources("AWS::SecretsManager::Secret"):
            arn = self.ref(stack, lid)
            name = resource.get("Properties", {}).get("Name")
            if secret_id in (arn, name) or (name is not None and self.evaluate(stack, name) == secret_id):
                return stack, lid
        raise Unresolvable(f"no AWS::SecretsManager::Secret in the assembly has the id {secret_id}")

    def parameter_by_name(self, name):
        for stack, lid, resource in self.resources("AWS::SSM::Parameter"):
            if self.ref(stack, lid) in (name, "/" + name.lstrip("/")):
                return stack, lid
        raise Unresolvable(f"no AWS::SSM::Parameter in the assembly is named {name}")

    def ssm_value(self, name):
        """The value of the AWS::SSM::Parameter named name, or None when no
        stack of the assembly creates it (the image tag's is created by a
        custom resource)."""
        try:
            stack, lid = self.parameter_by_name(name)
        except Unresolvable:
            return None
        value = self.evaluate(stack, stack.resources[lid]["Properties"]["Value"])
        return ",".join(value) if isinstance(value, list) else value

    # -- Ref and GetAtt --------------------------------------------------
    def _made_up(self, stack, lid, suffix=""):
        base = re.sub(r"[^a-z0-9-]", "", f"{stack.name}-{lid}".lower())[:50]
        return base + suffix

    def ref(self, stack, lid):
        key = (stack.name, lid)
        if key in self._refs:
            return self._refs[key]
        pseudo = {
            "AWS::Region": stack.region,
            "AWS::AccountId": stack.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
            "AWS::NoValue": NO_VALUE,
        }
        if lid in pseudo:
            return pseudo[lid]
        if lid in stack.template.get("Parameters", {}):
            param = stack.template["Parameters"][lid]
            if "Default" not in param:
                raise Unresolvable(f"parameter {lid} of {stack.name} has no default")
            if param.get("Type", "").startswith("AWS::SSM::Parameter::Value<"):
                # CloudFormation reads the SSM parameter the default names,
                # at deploy time: the value an earlier stack wrote there.
                value = self.ssm_value(param["Default"])
                if value is not None:
                    return value.split(",") if "<List<" in param["Type"] else value
            return param["Default"]
        if lid not in stack.resources:
            raise Unresolvable(f"Ref {lid}: no such resource or parameter in {stack.name}")
        resource = stack.resources[lid]
        type_, props = resource["Type"], resource.get("Properties", {})
        suffix = "".join(self.rng.choice(string.ascii_letters) for _ in range(6))
        if type_ == "AWS::SecretsManager::Secret":
            name = self.evaluate(stack, props["Name"]) if "Name" in props else self._made_up(stack, lid)
            value = f"arn:aws:secretsmanager:{stack.region}:{stack.account}:secret:{name}-{suffix}"
        elif type_ == "AWS::SSM::Parameter":
            value = self.evaluate(stack, props["Name"]) if "Name" in props else "CFN-" + self._made_up(stack, lid)
        elif type_ == "AWS::S3::Bucket":
            value = self.evaluate(stack, props["BucketName"]) if "BucketName" in props else self._made_up(stack, lid, "-rehearsal")
        elif type_ in ("AWS::ECS::Cluster",):
            value = self.evaluate(stack, props["ClusterName"]) if "ClusterName" in props else self._made_up(stack, lid)
        elif type_ == "AWS::ECR::Repository":
            value = self.evaluate(stack, props["RepositoryName"]) if "RepositoryName" in props else self._made_up(stack, lid)
        elif type_ == "AWS::RDS::DBInstance":
            value = self.evaluate(stack, props["DBInstanceIdentifier"]) if "DBInstanceIdentifier" in props else self._made_up(stack, lid)
        elif type_ == "AWS::ElastiCache::ReplicationGroup":
            value = self.evaluate(stack, props["ReplicationGroupId"]) if "ReplicationGroupId" in props else self._made_up(stack, lid)
        elif type_ == "AWS::ECS::Service":
            value = f"arn:aws:ecs:{stack.region}:{stack.account}:service/rehearsal/{self.getatt(stack, lid, 'Name')}"
        else:
            raise Unresolvable(f"Ref {lid} ({type_}) in {stack.name}: the rehearsal has no local stand-in for it")
        self._refs[key] = value
        return value

    def getatt(self, stack, lid, attr):
        if lid not in stack.resources:
            raise Unresolvable(f"Fn::GetAtt {lid}.{attr}: no such resource in {stack.name}")
        resource = stack.resources[lid]
        type_, props = resource["Type"], resource.get("Properties", {})
        if (type_, attr) in self.endpoints:
            return self.endpoints[(type_, attr)]
        if type_ == "AWS::ECS::Service" and attr == "Name":
            return self.evaluate(stack, props["ServiceName"]) if "ServiceName" in props else self._made_up(stack, lid)
        if type_ == "AWS::S3::Bucket":
            name = self.ref(stack, lid)
            values = {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                      "RegionalDomainName": f"{name}.s3.{stack.region}.amazonaws.com"}
            if attr in values:
                return values[attr]
        if type_ == "AWS::ECR::Repository":
            name = self.ref(stack, lid)
            values = {"Arn": f"arn:aws:ecr:{stack.region}:{stack.account}:repository/{name}",
                      "RepositoryUri": f"{stack.account}.dkr.ecr.{stack.region}.amazonaws.com/{name}"}
            if attr in values:
                return values[attr]
        if type_ == "AWS::SecretsManager::Secret" and attr == "Id":
            return self.ref(stack, lid)
        raise Unresolvable(f"Fn::GetAtt {lid}.{attr} ({type_}) in {stack.name}: the rehearsal has no local stand-in for it")

    # -- secrets ---------------------------------------------------------
    def secret_definition(self, stack, lid):
        """'generated', 'literal' or 'expression'."""
        props = stack.resources[lid].get("Properties", {})
        if "GenerateSecretString" in props:
            return "generated"
        return "literal" if isinstance(props.get("SecretString"), str) else "expression"

    def secret_string(self, stack, lid):
        key = (stack.name, lid)
        if key in self._secret_values:
            return self._secret_values[key]
        props = stack.resources[lid].get("Properties", {})
        if "GenerateSecretString" in props:
            spec = props["GenerateSecretString"]
            generated = generate_secret(spec, self.rng)
            if "GenerateStringKey" in spec:
                doc = json.loads(spec.get("SecretStringTemplate", "{}"))
                doc[spec["GenerateStringKey"]] = generated
                value = json.dumps(doc)
            else:
                value = generated
        elif "SecretString" in props:
            self._secret_values[key] = None  # a cycle shows as a failure below
            value = self.evaluate(stack, props["SecretString"])
        else:
            raise Unresolvable(f"secret {lid} of {stack.name} has neither GenerateSecretString nor SecretString")
        if not isinstance(value, str):
            raise Unresolvable(f"secret {lid} of {stack.name} does not evaluate to a string")
        self._secret_values[key] = value
        return value

    def secret_field(self, stack, lid, field, requested_by):
        value = self.secret_string(stack, lid)
        if value is None:
            raise Unresolvable(f"secret {lid} of {stack.name} refers to itself")
        if not field:
            return value
        try:
            doc = json.loads(value)
        except ValueError:
            raise Unresolvable(f"secret {lid} of {stack.name} is not JSON, yet {requested_by} asks for its field {field}")
        if field in doc:
            return str(doc[field])
        if self.secret_definition(stack, lid) == "literal":
            note = f"{field}: the secret {lid} ({stack.name}) is filled in by operators and has no such field; given as an empty string"
            if note not in self.notes:
                self.notes.append(note)
            return ""
        raise Unresolvable(f"{requested_by}: the secret {lid} of {stack.name} has no field {field} (has {', '.join(sorted(doc))})")

    # -- dynamic references ------------------------------------------------
    DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]*)\}\}")

    def resolve_dynamic(self, text):
        def replace(match):
            service, body = match.group(1), match.group(2)
            if service != "secretsmanager":
                stack, lid = self.parameter_by_name(body.split(":")[0])
                return self.evaluate(stack, stack.resources[lid]["Properties"]["Value"])
            # <secret-id>:SecretString:<json-key>:<version-stage>:<version-id>,
            # where the id may be an ARN (itself full of colons).
            marker = body.find(":SecretString:")
            if marker < 0:
                secret_id, field = body, ""
            else:
                secret_id, field = body[:marker], body[marker + len(":SecretString:"):].split(":")[0]
            stack, lid = self.secret_by_id(secret_id)
            return self.secret_field(stack, lid, field, "a dynamic reference")

        return self.DYNAMIC.sub(replace, text)

    # -- ECS valueFrom -----------------------------------------------------
    def value_from(self, arn, requested_by):
        """The value ECS would inject for a container secret's valueFrom."""
        if arn.startswith("arn:") and ":secretsmanager:" in arn:
            parts = arn.split(":")
            base, extra = ":".join(parts[:7]), parts[7:]
            field = extra[0] if extra else ""
            stack, lid = self.secret_by_id(base)
            return self.secret_field(stack, lid, field, requested_by)
        if arn.startswith("arn:") and ":ssm:" in arn:
            name = arn.split(":parameter", 1)[1]
        elif not arn.startswith("arn:"):
            name = arn
        else:
            raise Unresolvable(f"{requested_by}: valueFrom {arn} is neither a Secrets Manager secret nor an SSM parameter")
        stack, lid = self.parameter_by_name(name)
        value = self.evaluate(stack, stack.resources[lid]["Properties"]["Value"])
        if not isinstance(value, str):
            raise Unresolvable(f"{requested_by}: SSM parameter {name} does not evaluate to a string")
        return value

    def value_from_source(self, arn):
        """(stack, logical id, field) of the resource behind a valueFrom."""
        if ":secretsmanager:" in arn:
            parts = arn.split(":")
            stack, lid = self.secret_by_id(":".join(parts[:7]))
            return stack, lid, (parts[7] if len(parts) > 7 else "")
        stack, lid = self.parameter_by_name(arn.split(":parameter", 1)[1] if arn.startswith("arn:") else arn)
        return stack, lid, ""

    # -- expressions -------------------------------------------------------
    def evaluate(self, stack, expr):
        if isinstance(expr, str):
            return self.resolve_dynamic(expr) if "{{resolve:" in expr else expr
        if isinstance(expr, (int, float, bool)) or expr is None:
            return expr
        if isinstance(expr, list):
            values = [self.evaluate(stack, e) for e in expr]
            return [v for v in values if v is not NO_VALUE]
        if not isinstance(expr, dict):
            raise Unresolvable(f"cannot evaluate {expr!r}")
        if len(expr) == 1:
            (fn, arg), = expr.items()
            if fn == "Ref":
                return self.ref(stack, arg)
            if fn == "Fn::GetAtt":
                lid, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.getatt(stack, lid, self.evaluate(stack, attr))
            if fn == "Fn::Join":
                sep, items = arg
                items = self.evaluate(stack, items)
                return self.evaluate(stack, sep.join(str(i) for i in items))
            if fn == "Fn::Select":
                index, items = self.evaluate(stack, arg[0]), self.evaluate(stack, arg[1])
                try:
                    return items[int(index)]
                except (IndexError, ValueError, TypeError):
                    raise Unresolvable(f"Fn::Select {index} of {items!r} in {stack.name}")
            if fn == "Fn::Split":
                return self.evaluate(stack, arg[1]).split(arg[0])
            if fn == "Fn::Sub":
                return self._sub(stack, arg)
            if fn == "Fn::GetStackOutput":
                producer = self.stack(self.evaluate(stack, arg["StackName"]))
                name = self.evaluate(stack, arg["OutputName"])
                if name not in producer.outputs:
                    raise Unresolvable(f"Fn::GetStackOutput: {producer.name} has no output {name}")
                return self.evaluate(producer, producer.outputs[name]["Value"])
            if fn == "Fn::ImportValue":
                wanted = self.evaluate(stack, arg)
                for producer in self.stacks.values():
                    for output in producer.outputs.values():
                        if "Export" in output and self.evaluate(producer, output["Export"]["Name"]) == wanted:
                            return self.evaluate(producer, output["Value"])
                raise Unresolvable(f"Fn::ImportValue {wanted}: no stack exports it")
            if fn == "Fn::Base64":
                import base64

                return base64.b64encode(self.evaluate(stack, arg).encode()).decode()
            if fn.startswith("Fn::") or fn == "Condition":
                raise Unresolvable(f"{fn} in {stack.name}: the rehearsal does not evaluate it here")
        return {k: self.evaluate(stack, v) for k, v in expr.items()}

    def _sub(self, stack, arg):
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.evaluate(stack, variables[name]))
            if "." in name:
                lid, attr = name.split(".", 1)
                return str(self.getatt(stack, lid, attr))
            return str(self.ref(stack, name))

        return self.evaluate(stack, re.sub(r"\$\{([^}]+)\}", replace, text))

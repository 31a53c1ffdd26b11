"""Copy a cloud assembly for deployment to moto, leaving out what moto's
CloudFormation cannot create.

    deployable.py SOURCE_ASSEMBLY TARGET_ASSEMBLY

moto's CloudFormation skips the resource types it has no model for (alarms,
SNS subscriptions, queue and topic policies, API Gateway stages, WAF) and
still completes the stack. It fails the whole stack, though, on:

- a resource it models that reads an attribute (Fn::GetAtt) of a skipped one,
  e.g. a dashboard whose alarm widget names the alarms by Fn::GetAtt ("Template
  error: instance of Fn::GetAtt references undefined resource");
- an API Gateway method whose integration has no IntegrationHttpMethod (the
  MOCK integrations that answer CORS preflight requests): a KeyError inside
  moto;
- an output that refers to a skipped resource (an API's endpoint URL names
  its stage).

Such resources and outputs, and whatever refers to them in turn, are left out
of the copy that is deployed; the rest of every template is deployed as
synthesized. The original assembly stays untouched: the end-to-end test reads
it, compares it with what moto deployed and reports what was left out, with
the reasons written to TARGET_ASSEMBLY/left-out.json.

Run it with the Python of the virtualenv that holds moto: what moto models is
read from moto itself, so a moto upgrade that models more leaves out less.
"""

import json
import pathlib
import shutil
import sys

from moto.cloudformation.parsing import get_model_map


def references(node, intrinsic):
    """Logical ids named by Ref or Fn::GetAtt anywhere under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == intrinsic == "Ref" and isinstance(value, str):
                yield value
            elif key == intrinsic == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".")[0]
            else:
                yield from references(value, intrinsic)
    elif isinstance(node, list):
        for value in node:
            yield from references(value, intrinsic)


def crashes_moto(resource):
    """Why moto fails on a resource it models, or None."""
    if resource["Type"] == "AWS::ApiGateway::Method":
        integration = resource.get("Properties", {}).get("Integration")
        if integration is not None and "IntegrationHttpMethod" not in integration:
            return f"its {integration.get('Type')} integration has no IntegrationHttpMethod, on which moto's CloudFormation fails"
    return None


def left_out(resources, modelled):
    """Logical id -> reason, for the resources moto would fail the stack on."""
    out = {}
    for logical_id, resource in resources.items():
        if resource["Type"] in modelled and (reason := crashes_moto(resource)):
            out[logical_id] = reason
    changed = True
    while changed:
        changed = False
        for logical_id, resource in resources.items():
            if logical_id in out or resource["Type"] not in modelled:
                continue
            body = {k: v for k, v in resource.items() if k != "DependsOn"}
            for target in references(body, "Fn::GetAtt"):
                if target in resources and resources[target]["Type"] not in modelled:
                    out[logical_id] = f"reads Fn::GetAtt of {target} ({resources[target]['Type']}), which moto's CloudFormation does not create"
                    break
            else:
                for target in list(references(body, "Fn::GetAtt")) + list(references(body, "Ref")):
                    if target in out:
                        out[logical_id] = f"refers to {target}, which is left out"
                        break
            changed = changed or logical_id in out
    return out


def main(source, target):
    source, target = pathlib.Path(source), pathlib.Path(target)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    modelled = set(get_model_map())
    report = {}
    for path in sorted(target.glob("*.template.json")):
        stack = path.name.removesuffix(".template.json")
        template = json.loads(path.read_text())
        resources = template.get("Resources", {})
        drop = left_out(resources, modelled)
        for logical_id in drop:
            del resources[logical_id]
        for resource in resources.values():
            depends = resource.get("DependsOn")
            if isinstance(depends, list):
                resource["DependsOn"] = [d for d in depends if d not in drop]
            elif depends in drop:
                del resource["DependsOn"]
        outputs = template.get("Outputs", {})
        dropped_outputs = []
        for name, output in list(outputs.items()):
            refs = list(references(output, "Ref")) + list(references(output, "Fn::GetAtt"))
            if any(r in drop or (r in resources and resources[r]["Type"] not in modelled) for r in refs):
                del outputs[name]
                dropped_outputs.append(name)
        path.write_text(json.dumps(template, indent=1))
        report[stack] = drop
        if drop or dropped_outputs:
            print(f"left out of {stack}: {len(drop)} resources ({', '.join(sorted(drop))}), outputs {', '.join(dropped_outputs) or 'none'}")
    (target / "left-out.json").write_text(json.dumps(report, indent=1, sort_keys=True))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

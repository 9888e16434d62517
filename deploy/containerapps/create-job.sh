#!/bin/sh
# The monitoring job as an Azure Container Apps job: the site's image (Dockerfile) started on a schedule with
# `python deploy/run_monitor.py run` (that is `python -m monitor run`) instead of the site's start command.
# Every value comes from the environment (README, "Running the job in production"):
#
#   RG=<rg> ENVIRONMENT=<container-apps-environment> REGISTRY=<registry> TAG=<tag> \
#   MLFLOW_URI=https://<mlflow-server> MLFLOW_TOKEN_SECRET=https://<vault>.vault.azure.net/secrets/<name> \
#   COSMOS_ENDPOINT=https://<account>.documents.azure.com:443/ \
#   ADF_SUBSCRIPTION_ID=<subscription-guid> ADF_RESOURCE_GROUP=<rg> ADF_FACTORY=<factory> \
#   sh deploy/containerapps/create-job.sh
#
# The job runs as a user-assigned identity (JOB_IDENTITY): it pulls the image, reads the MLflow token from Key
# Vault, and is the DefaultAzureCredential of the monitor (Cosmos DB, Data Factory; AZURE_CLIENT_ID names it).
set -eu
JOB="${JOB:-mlops-monitor-job}"
JOB_IDENTITY="${JOB_IDENTITY:-id-mlops-monitor}"

az identity create -g "$RG" -n "$JOB_IDENTITY" -o none
IDENTITY_ID=$(az identity show -g "$RG" -n "$JOB_IDENTITY" --query id -o tsv)
IDENTITY_CLIENT_ID=$(az identity show -g "$RG" -n "$JOB_IDENTITY" --query clientId -o tsv)
IDENTITY_PRINCIPAL_ID=$(az identity show -g "$RG" -n "$JOB_IDENTITY" --query principalId -o tsv)
az role assignment create --assignee-object-id "$IDENTITY_PRINCIPAL_ID" --assignee-principal-type ServicePrincipal \
  --role AcrPull --scope "$(az acr show -n "$REGISTRY" --query id -o tsv)" -o none

# --command / --args replace the image's CMD (sh scripts/start.sh; the image has no ENTRYPOINT) and run from its
# WORKDIR /app. The arguments carry no leading dash, which `az containerapp` would take for one of its own options.
# Exit 1 or 2 fails the replica: it is retried once, then the execution is marked Failed.
az containerapp job create \
  --name "$JOB" --resource-group "$RG" --environment "$ENVIRONMENT" \
  --trigger-type Schedule --cron-expression "15 * * * *" \
  --replica-timeout 3600 --replica-retry-limit 1 --parallelism 1 --replica-completion-count 1 \
  --image "$REGISTRY.azurecr.io/mlops-monitor:$TAG" \
  --registry-server "$REGISTRY.azurecr.io" --registry-identity "$IDENTITY_ID" \
  --mi-user-assigned "$IDENTITY_ID" \
  --cpu 2 --memory 4Gi \
  --command python --args deploy/run_monitor.py run \
  --secrets "mlflow-token=keyvaultref:$MLFLOW_TOKEN_SECRET,identityref:$IDENTITY_ID" \
  --env-vars "MONITOR_TRACKING_URI=$MLFLOW_URI" MLFLOW_TRACKING_TOKEN=secretref:mlflow-token \
    MONITOR_STORE=cosmos "MONITOR_COSMOS_ENDPOINT=$COSMOS_ENDPOINT" \
    MONITOR_PIPELINES=adf "MONITOR_ADF_SUBSCRIPTION_ID=$ADF_SUBSCRIPTION_ID" \
    "MONITOR_ADF_RESOURCE_GROUP=$ADF_RESOURCE_GROUP" "MONITOR_ADF_FACTORY=$ADF_FACTORY" \
    "AZURE_CLIENT_ID=$IDENTITY_CLIENT_ID"

echo "created $JOB; give $JOB_IDENTITY (principal $IDENTITY_PRINCIPAL_ID) the Cosmos DB, Data Factory and Key Vault roles"

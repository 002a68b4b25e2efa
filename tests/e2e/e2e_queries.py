"""GraphQL documents of the Dagster webserver, as the UI sends them (field and argument names
checked against the installed ``dagster_graphql`` schema, Dagster 1.13)."""

WORKSPACE = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

ASSET_NODES = """
query AssetGraph {
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    isMaterializable
    dependencyKeys { path }
    jobNames
    pools
    partitionDefinition { type description dimensionTypes { name type } }
    backfillPolicy { policyType maxPartitionsPerRun }
  }
}
"""

ASSET_PARTITIONS = """
query AssetPartitions($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode {
      partitionDefinition { type description }
      partitionKeysByDimension { name type partitionKeys }
    }
  }
}
"""

JOB_PARTITIONS = """
query JobPartitions($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline { name isAssetJob partitionKeysOrError { partitionKeys } }
    ... on Error { message }
  }
}
"""

LAUNCH_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId launchedRunIds }
    ... on Error { message }
    ... on PythonError { stack }
  }
}
"""

BACKFILL = """
query Backfill($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill {
      id
      status
      isAssetBackfill
      numPartitions
      partitionNames
      error { message }
      runs { runId status tags { key value } }
    }
    ... on Error { message }
  }
}
"""

AUTOMATION = """
query Automation {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        schedules { name scheduleState { id status } }
        sensors { name sensorState { id status } }
      }
    }
  }
}
"""

STOP_SCHEDULE = """
mutation StopSchedule($id: String!) {
  stopRunningSchedule(id: $id) {
    __typename
    ... on ScheduleStateResult { scheduleState { status } }
    ... on Error { message }
  }
}
"""

STOP_SENSOR = """
mutation StopSensor($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
    ... on Error { message }
  }
}
"""

RUN_LOGS = """
query RunLogs($runId: ID!, $afterCursor: String) {
  logsForRun(runId: $runId, afterCursor: $afterCursor, limit: 1000) {
    __typename
    ... on EventConnection {
      cursor
      hasMore
      events {
        __typename
        ... on MessageEvent { message level stepKey timestamp }
        ... on ErrorEvent { error { message causes { message } } }
      }
    }
    ... on Error { message }
  }
}
"""
